package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Optional;

import org.deq4j.core.InvalidConfigException;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void durationsAreReadWithUnits() {
        assertEquals(Duration.ofSeconds(90), Durations.parse("90s"));
        assertEquals(Duration.ofMinutes(14), Durations.parse("14m"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1.5h"));
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals(Duration.ofMinutes(14), Durations.parse("PT14M"));
        assertThrows(InvalidConfigException.class, () -> Durations.parse("14"));
        assertThrows(InvalidConfigException.class, () -> Durations.parse("ms"));
        assertThrows(InvalidConfigException.class, () -> Durations.parse("0s"));
        assertThrows(InvalidConfigException.class, () -> Durations.parse("0"));
    }

    @Test
    void limitsCanBeSwitchedOff() {
        assertEquals(Optional.empty(), Durations.parseLimit("0"));
        assertEquals(Optional.empty(), Durations.parseLimit(" None "));
        assertEquals(Optional.of(Duration.ofMinutes(12)), Durations.parseLimit("12m"));
        assertThrows(InvalidConfigException.class, () -> Durations.parseLimit("12 minutes"));
        assertThrows(InvalidConfigException.class, () -> Durations.parseLimit("0m"));
    }
}
