package org.deq4j.lm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deq4j.core.InvalidConfigException;
import org.junit.jupiter.api.Test;

/** Presets and analytic parameter counts, checked against counts worked out by hand. */
class DeqLanguageModelConfigTest {

    @Test
    void paperModelHasAbout96MillionParameters() {
        DeqLanguageModelConfig c = DeqLanguageModelConfig.preset("wikitext103-paper");
        long d = 768;
        long v = 50304;
        long h = 3072;
        // By hand: token embedding V·d, positions 448·d, head d·V + V,
        // cell: 2 LayerNorms (2·2d), q/k/v/o maps 4·(d² + d), MLP d·h + h + h·h + h + h·d + d.
        long cell = 4 * d + 4 * (d * d + d) + (d * h + h) + (h * h + h) + (h * d + d);
        long expected = v * d + 448 * d + cell + (d * v + v);
        System.out.printf("wikitext103-paper: %,d parameters (embedding %,d, positions %,d, cell %,d, head %,d)%n",
                c.parameterCount(), c.embeddingParameters(), c.positionParameters(), c.cellParameters(),
                c.headParameters());
        assertEquals(16_528_128, cell);
        assertEquals(expected, c.parameterCount());
        // The paper's "about 96M" is approximate (secondary source); the exact architecture gives 94.2M.
        assertTrue(c.parameterCount() > 90_000_000L && c.parameterCount() < 100_000_000L);
        assertEquals(new TransformerCell(768, 12, 3072, 448, 1e-5, true), c.cell());
        assertEquals(0.5, c.beta());
        assertEquals(4, c.maxSteps());
        assertEquals(1e-3, c.tol());
    }

    @Test
    void austenPresetsAreSmallByteModels() {
        DeqLanguageModelConfig tiny = DeqLanguageModelConfig.preset("austen-tiny");
        // By hand: 257·64 + 64·64 + cell (4·64 + 4·(64² + 64) + 64·256 + 256 + 256·64 + 64) + 64·257 + 257.
        assertEquals(16_448 + 4_096 + (256 + 16_640 + 33_088) + 16_705, tiny.parameterCount());
        assertEquals(257, tiny.createTokenizer().vocabSize());
        DeqLanguageModelConfig small = DeqLanguageModelConfig.preset("austen-small");
        // By hand: 257·128 + 128·128 + cell (512 + 4·(128² + 128) + 128·512 + 512 + 512·128 + 128) + 128·257 + 257.
        assertEquals(32_896 + 16_384 + (512 + 66_048 + 131_712) + 33_153, small.parameterCount());
        for (String name : DeqLanguageModelConfig.presetNames()) {
            DeqLanguageModelConfig c = DeqLanguageModelConfig.preset(name);
            System.out.printf("%s: %,d parameters%n", name, c.parameterCount());
            assertEquals(name, c.name());
        }
        assertEquals(List.of("wikitext103-paper", "austen-tiny", "austen-small", "austen-micro"), DeqLanguageModelConfig.presetNames());
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(InvalidConfigException.class, () -> DeqLanguageModelConfig.preset("austen-huge"));
        DeqLanguageModelConfig t = DeqLanguageModelConfig.preset("austen-tiny");
        assertThrows(InvalidConfigException.class, () -> new DeqLanguageModelConfig("b", "bytes+eot", 257, 64, 64, 4, 256,
                false, 1e-5, 1.0, 1e-3, 4, 16, 1e-3, 0, 1));
        assertThrows(InvalidConfigException.class, () -> new DeqLanguageModelConfig("h", "bytes+eot", 257, 64, 64, 5, 256,
                false, 1e-5, 0.5, 1e-3, 4, 16, 1e-3, 0, 1));
        DeqLanguageModelConfig tooSmallVocab = new DeqLanguageModelConfig("v", "bytes+eot", 256, 64, 64, 4, 256, false,
                1e-5, 0.5, 1e-3, 4, 16, 1e-3, 0, 1);
        assertThrows(InvalidConfigException.class, tooSmallVocab::createTokenizer);
        assertEquals(t, DeqLanguageModelConfig.preset("austen-tiny"));
    }
}
