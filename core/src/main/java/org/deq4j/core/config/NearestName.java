package org.deq4j.core.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * The valid name an unknown one was probably meant to be: the known name nearest in Levenshtein distance
 * (ignoring case), if it is near enough to be a plausible typo. Used for configuration keys here and for
 * the keys of the command line's run files.
 */
public final class NearestName {
    private NearestName() {
    }

    /**
     * The name of {@code known} that {@code unknown} most likely means, or empty if none is within a third
     * of its length (at least 2 edits) of it.
     */
    public static Optional<String> among(String unknown, Collection<String> known) {
        String u = unknown.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(u, k.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        // A third of the name's length (at least 2) separates typos from unrelated words.
        return best != null && bestDistance <= Math.max(2, best.length() / 3) ? Optional.of(best) : Optional.empty();
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
