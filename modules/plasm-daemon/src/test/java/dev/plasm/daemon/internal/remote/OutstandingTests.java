package dev.plasm.daemon.internal.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What placement subtracts from an executor's offer: only the attempts the offer cannot know. */
class OutstandingTests {

  @Test
  void attemptsSentBeforeTheOfferWasSignedAreNotCountedAgain() throws Exception {
    Outstanding out = new Outstanding();
    Instant first = out.sent("B");
    Thread.sleep(2);
    Instant offerSigned = Instant.now(); // B's offer already counts the first attempt as running
    Thread.sleep(2);
    Instant second = out.sent("B");
    out.sent("C");
    assertEquals(1, out.since("B", offerSigned), "only the attempt sent after the offer");
    assertEquals(2, out.since("B", first), "an offer older than both counts neither");
    assertEquals(2, out.out("B"));
    out.back("B", second);
    assertEquals(0, out.since("B", offerSigned));
    assertEquals(1, out.out("B"));
    out.back("B", first);
    assertEquals(0, out.out("B"));
    assertEquals(1, out.out("C"), "other executors untouched");
  }

  @Test
  void twoAttemptsSentAtTheSameInstantEndOneAtATime() {
    Outstanding out = new Outstanding();
    Instant a = out.sent("B");
    out.sent("B");
    out.back("B", a);
    assertEquals(1, out.out("B"));
  }
}
