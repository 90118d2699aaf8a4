package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.deq4j.core.GradientStrategy;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.lm.model.DeqLanguageModelConfig;
import org.deq4j.train.Checkpoint;
import org.deq4j.train.CheckpointException;
import org.deq4j.train.ReduceOnPlateau;
import org.deq4j.zoo.model.ZooPreset;
import org.junit.jupiter.api.Test;

/** The one run-settings type: its stored form, its checks, and the kind of a checkpoint. */
class RunSettingsTest {
    private static final Path VISION = Path.of("..", "zoo", "pretrained", "fashion-cpu", Checkpoint.FILE_NAME);
    private static final Path LM = Path.of("..", "lm", "pretrained", "austen-micro", Checkpoint.FILE_NAME);

    private static RunSettings vision() {
        return new RunSettings(RunSettings.Kind.VISION, "fashion-tiny", GradientStrategy.PHANTOM,
                Optional.of(Path.of("data")), 16, 7, 2e-3, 1e-4, 3, Optional.empty(), Optional.of(3), Optional.of(0.6),
                new ReduceOnPlateau.Settings(50, 4, 0.25, 1e-2, 0), VariationalDropout.OFF, 0);
    }

    private static RunSettings lm(GradientStrategy gradient, Optional<Integer> steps, Optional<Double> beta) {
        return new RunSettings(RunSettings.Kind.LANGUAGE_MODEL, "austen-micro", gradient, Optional.empty(), 8, 1, 3e-3,
                1e-4, 2, Optional.of("bytes"), steps, beta, ReduceOnPlateau.Settings.PAPER, VariationalDropout.OFF, 0);
    }

    @Test
    void bothKindsRoundTripThroughTheStoredForm() {
        RunSettings v = vision();
        assertEquals(v, RunSettings.fromMap(v.toMap()));
        assertEquals(Path.of("data").toAbsolutePath(), v.data().orElseThrow(), "data paths are stored absolute");
        RunSettings lm = new RunSettings(RunSettings.Kind.LANGUAGE_MODEL, "austen-micro", GradientStrategy.REVERSIBLE,
                Optional.empty(), 8, 1, 3e-3, 1e-4, 2, Optional.of("bytes"), Optional.empty(), Optional.empty(),
                ReduceOnPlateau.Settings.PAPER, new VariationalDropout(0.15), 0);
        assertEquals(lm, RunSettings.fromMap(lm.toMap()));
        assertEquals("0.15", lm.toMap().get("dropout"));
        assertTrue(!v.toMap().containsKey("dropout"), "off is not stored: older checkpoints read the same");
        assertEquals(8, lm.languageModel().batchSize());
        assertEquals("bytes", lm.languageModel().tokenizer());
    }

    /** Solver steps, β and the schedule reach the model; unset, they are the preset's and the paper's. */
    @Test
    void solverStepsBetaAndScheduleOverrideThePreset() {
        ZooPreset p = vision().zooPreset();
        assertEquals(0.6, p.beta());
        assertTrue(p.stages().stream().allMatch(s -> s.steps() == 3), p.stages().toString());
        assertEquals("plateau:window=50,patience=4,factor=0.25,stop=0.01,rtol=0.0", vision().toMap().get("lrSchedule"));
        DeqLanguageModelConfig m = lm(GradientStrategy.REVERSIBLE, Optional.of(6), Optional.of(1.4)).languageModel();
        assertEquals(6, m.maxSteps());
        assertEquals(1.4, m.beta());
        DeqLanguageModelConfig preset = lm(GradientStrategy.REVERSIBLE, Optional.empty(), Optional.empty())
                .languageModel();
        assertEquals(DeqLanguageModelConfig.preset("austen-micro").maxSteps(), preset.maxSteps());
        assertEquals(DeqLanguageModelConfig.preset("austen-micro").beta(), preset.beta());
        // β above 1 is the reversible solver's; the fixed-point baselines need (0, 1]
        InvalidConfigException b = assertThrows(InvalidConfigException.class,
                () -> lm(GradientStrategy.UNROLLED, Optional.empty(), Optional.of(1.4)));
        assertTrue(b.getMessage().contains("1.4"), b.getMessage());
        assertThrows(InvalidConfigException.class, () -> lm(GradientStrategy.REVERSIBLE, Optional.of(0), Optional.empty()));
    }

    /**
     * Checkpoints from before solver steps, β and the schedule were settings read back to exactly their stored
     * form, which a resumed trainer compares with its own.
     */
    @Test
    void olderCheckpointsKeepTheirStoredForm() {
        for (Path checkpoint : new Path[] {VISION, LM}) {
            Map<String, String> stored = Checkpoint.readSettings(checkpoint);
            RunSettings s = RunSettings.of(checkpoint);
            assertEquals(stored, s.toMap(), checkpoint.toString());
            assertEquals(Optional.empty(), s.solverSteps());
            assertEquals(ReduceOnPlateau.Settings.PAPER, s.lrSchedule());
        }
    }

    @Test
    void unknownMissingAndInconsistentSettingsAreNamed() {
        Map<String, String> extra = new LinkedHashMap<>(vision().toMap());
        extra.put("lr", "0.1");
        InvalidConfigException unknown = assertThrows(InvalidConfigException.class, () -> RunSettings.fromMap(extra));
        assertTrue(unknown.getMessage().contains("[lr]"), unknown.getMessage());
        Map<String, String> missing = new LinkedHashMap<>(vision().toMap());
        missing.remove("seed");
        InvalidConfigException lacks = assertThrows(InvalidConfigException.class, () -> RunSettings.fromMap(missing));
        assertTrue(lacks.getMessage().contains("'seed'"), lacks.getMessage());
        assertThrows(InvalidConfigException.class, () -> new RunSettings(RunSettings.Kind.LANGUAGE_MODEL,
                "austen-micro", GradientStrategy.REVERSIBLE, Optional.empty(), 8, 1, 3e-3, 1e-4, 2, Optional.empty(),
                Optional.empty(), Optional.empty(), ReduceOnPlateau.Settings.PAPER, VariationalDropout.OFF, 0));
        assertThrows(InvalidConfigException.class, () -> new RunSettings(RunSettings.Kind.VISION, "austen-micro",
                GradientStrategy.REVERSIBLE, Optional.empty(), 8, 1, 3e-3, 1e-4, 2, Optional.empty(), Optional.empty(),
                Optional.empty(), ReduceOnPlateau.Settings.PAPER, VariationalDropout.OFF, 0));
        Map<String, String> schedule = new LinkedHashMap<>(vision().toMap());
        schedule.put("lrSchedule", "plateau:windows=3");
        InvalidConfigException typo = assertThrows(InvalidConfigException.class, () -> RunSettings.fromMap(schedule));
        assertTrue(typo.getMessage().contains("did you mean window?"), typo.getMessage());
    }

    @Test
    void jacobianRegularisationIsStoredWhenOnAndReadAsOffWhenAbsent() {
        RunSettings off = vision();
        assertTrue(!off.toMap().containsKey("jacReg"), "runs without it store what older runs stored");
        assertEquals(0.0, RunSettings.fromMap(off.toMap()).jacReg());
        RunSettings on = new RunSettings(RunSettings.Kind.VISION, "fashion-tiny", GradientStrategy.REVERSIBLE,
                Optional.empty(), 16, 7, 2e-3, 1e-4, 3, Optional.empty(), Optional.empty(), Optional.empty(),
                ReduceOnPlateau.Settings.PAPER, VariationalDropout.OFF, 0.5);
        assertEquals(on, RunSettings.fromMap(on.toMap()));
        assertEquals(0.5, on.stabilisers().jacobian().weight());
        assertThrows(InvalidConfigException.class, () -> new RunSettings(RunSettings.Kind.VISION, "fashion-tiny",
                GradientStrategy.REVERSIBLE, Optional.empty(), 16, 7, 2e-3, 1e-4, 3, Optional.empty(), Optional.empty(),
                Optional.empty(), ReduceOnPlateau.Settings.PAPER, VariationalDropout.OFF, -1));
    }

    /** The shipped checkpoints carry their settings; each is refused by the other kind's commands, by name. */
    @Test
    void aCheckpointKnowsItsKind() {
        assertEquals("fashion-cpu", RunSettings.of(VISION, RunSettings.Kind.VISION).preset());
        assertEquals(VariationalDropout.OFF, RunSettings.of(VISION, RunSettings.Kind.VISION).dropout(),
                "checkpoints from before --dropout have none");
        assertEquals("bytes+eot", RunSettings.of(LM, RunSettings.Kind.LANGUAGE_MODEL).tokenizer().orElseThrow());
        CheckpointException lmToEval = assertThrows(CheckpointException.class,
                () -> RunSettings.of(LM, RunSettings.Kind.VISION));
        assertTrue(lmToEval.getMessage().contains("language-model checkpoint")
                && lmToEval.getMessage().contains("deq4j lm eval"), lmToEval.getMessage());
        CheckpointException visionToLm = assertThrows(CheckpointException.class,
                () -> RunSettings.of(VISION, RunSettings.Kind.LANGUAGE_MODEL));
        assertTrue(visionToLm.getMessage().contains("vision checkpoint")
                && visionToLm.getMessage().contains("deq4j eval"), visionToLm.getMessage());
    }
}
