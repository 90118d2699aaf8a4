package org.deq4j.core.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the valid key an unknown one was probably meant to be: first torchdeq's older names
 * ({@code f_thres}, {@code f_eps}, ...), then the valid key {@link NearestName nearest} to it.
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
        Map<String, ConfigKey> byName = new LinkedHashMap<>();
        for (ConfigKey k : ConfigKey.values()) {
            byName.put(k.key(), k);
        }
        return NearestName.among(u, byName.keySet()).map(byName::get);
    }
}
