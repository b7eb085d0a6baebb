package dev.plasm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Job states: their names on the wire, which are final, and what a name that is none gets. */
class JobStateTests {
  @Test
  void theWireNamesAreTheDocumentedOnesInLifeOrder() {
    assertEquals(
        List.of("queued", "running", "finished", "cancelled", "interrupted"),
        Arrays.stream(JobState.values()).map(JobState::id).toList());
    assertEquals("queued, running, finished, cancelled, interrupted", JobState.names());
  }

  @Test
  void onlyQueuedAndRunningAreNotFinal() {
    for (JobState s : JobState.values()) {
      assertEquals(s != JobState.QUEUED && s != JobState.RUNNING, s.terminal(), s + " terminal()");
    }
  }

  @Test
  void eachNameReadsBackToItsState() {
    for (JobState s : JobState.values()) {
      assertSame(s, JobState.byId(s.id()));
      assertSame(s, JobState.parse("state", s.id()));
    }
    assertNull(JobState.byId("QUEUED"), "names are lower case, as on the wire");
    assertNull(JobState.byId(null));
  }

  @Test
  void anUnknownNameIsRefusedNamingTheFieldAndTheStatesThereAre() {
    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> JobState.parse("--state", "done"));
    assertEquals("--state", e.field());
    assertEquals(
        "'done' is not a job state; expected one of queued, running, finished, cancelled, interrupted",
        e.getMessage());
    ConfigurationException missing =
        assertThrows(ConfigurationException.class, () -> JobState.parse("state", null));
    assertTrue(
        missing.getMessage().startsWith("missing; expected one of queued"), missing::getMessage);
    assertFalse(missing.getMessage().contains("null"));
  }
}
