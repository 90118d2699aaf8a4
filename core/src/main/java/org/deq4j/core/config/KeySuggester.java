package org.deq4j.core.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the valid key an unknown one was probably meant to be: first torchdeq's older names
 * ({@code f_thres}, {@code f_eps}, ...), then the valid key nearest in Levenshtein distance
 * (ignoring case), if it is near enough to be a plausible typo.
 */
final class KeySuggester {
    /** Names older torchdeq versions used for keys that have since been renamed. */
    private static final Map<String, ConfigKey> RENAMED = Map.of(
            "f_thres", ConfigKey.F_MAX_ITER,
            "b_thres", ConfigKey.B_MAX_ITER,
            "f_eps", ConfigKey.F_TOL,
            "b_eps", ConfigKey.B_TOL);

    private KeySuggester() {
    }

    /** The key {@code unknown} most likely means, if any is close. */
    static Optional<ConfigKey> suggest(String unknown) {
        String u = unknown.toLowerCase(Locale.ROOT);
        ConfigKey renamed = RENAMED.get(u);
        if (renamed != null) {
            return Optional.of(renamed);
        }
        ConfigKey best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (ConfigKey k : ConfigKey.values()) {
            int d = distance(u, k.key());
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        // A third of the key's length (at least 2) separates typos from unrelated words.
        int limit = Math.max(2, best.key().length() / 3);
        return bestDistance <= limit ? Optional.of(best) : Optional.empty();
    }

    /** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(substitution, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
