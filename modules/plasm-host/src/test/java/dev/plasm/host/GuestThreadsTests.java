package dev.plasm.host;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Guest threads are reused between runs, and a run's interrupt never reaches another run. */
class GuestThreadsTests {

  @Test
  void runsOneAfterAnotherShareAThreadWithTheGuestsStack() throws Exception {
    Thread first = GuestThreads.start(Thread::currentThread).result.get(5, TimeUnit.SECONDS);
    // The pool hands the idle thread to the next run (SynchronousQueue: no second thread needed).
    for (int i = 0; i < 20; i++) {
      Thread next = GuestThreads.start(Thread::currentThread).result.get(5, TimeUnit.SECONDS);
      if (next == first) {
        assertTrue(first.getName().startsWith("plasm-guest-"), first.getName());
        assertTrue(first.isDaemon());
        return;
      }
      Thread.sleep(10); // the first thread was still on its way back to the pool
    }
    throw new AssertionError("no run reused the idle guest thread " + first.getName());
  }

  @Test
  void anInterruptAfterARunEndedNeverReachesTheNextRunOnTheSameThread() throws Exception {
    for (int round = 0; round < 50; round++) {
      GuestThreads.Run<Thread> done = GuestThreads.start(Thread::currentThread);
      Thread t = done.result.get(5, TimeUnit.SECONDS);
      // The deadline's interrupt comes late, after the run ended: it must go nowhere...
      done.interrupt();
      // ...and a run started meanwhile, on the same thread or not, must not see it.
      GuestThreads.Run<Boolean> next = sleeper(new CountDownLatch(1), 20);
      assertFalse(next.result.get(5, TimeUnit.SECONDS), "round " + round + " on " + t.getName());
    }
  }

  @Test
  void anInterruptStopsTheRunThatIsOnTheThread() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    GuestThreads.Run<Boolean> run = sleeper(started, 10_000);
    assertTrue(started.await(5, TimeUnit.SECONDS));
    run.interrupt();
    assertTrue(run.result.get(5, TimeUnit.SECONDS), "interrupted, not slept 10 s");
    // The thread goes back clean: no later run, on it or another idle guest thread, is interrupted.
    Thread t = run.thread();
    boolean reused = false;
    for (int i = 0; i < 20; i++) {
      GuestThreads.Run<Boolean> next =
          GuestThreads.start(() -> Thread.currentThread().isInterrupted());
      assertFalse(next.result.get(5, TimeUnit.SECONDS), "run " + i);
      reused |= next.thread() == t;
    }
    assertTrue(reused || GuestThreads.alive() > 1, "the interrupted run's thread was not reused");
  }

  @Test
  void aRunInterruptedBeforeItStartsStartsInterrupted() throws Exception {
    // Occupy nothing: interrupting right after start races with the start; either way the body
    // must see the interrupt (on its thread, or as its starting state).
    for (int i = 0; i < 50; i++) {
      CountDownLatch gate = new CountDownLatch(1);
      GuestThreads.Run<Boolean> run =
          GuestThreads.start(
              () -> {
                try {
                  gate.await();
                  return Thread.currentThread().isInterrupted();
                } catch (InterruptedException e) {
                  return true;
                }
              });
      run.interrupt();
      gate.countDown();
      assertTrue(run.result.get(5, TimeUnit.SECONDS), "round " + i);
    }
  }

  @Test
  void aRunThatThrowsCompletesExceptionallyAndFreesItsThread() throws Exception {
    GuestThreads.Run<Object> run =
        GuestThreads.start(
            () -> {
              throw new IllegalStateException("engine bug");
            });
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            java.util.concurrent.ExecutionException.class,
            () -> run.result.get(5, TimeUnit.SECONDS));
    assertSame(IllegalStateException.class, e.getCause().getClass());
    Thread t = run.thread();
    assertNotSame(null, t);
  }

  /** A run that says it started, sleeps, and answers whether it was interrupted meanwhile. */
  private static GuestThreads.Run<Boolean> sleeper(CountDownLatch started, long millis) {
    return GuestThreads.start(
        () -> {
          started.countDown();
          try {
            Thread.sleep(millis);
            return Thread.currentThread().isInterrupted();
          } catch (InterruptedException e) {
            return true;
          }
        });
  }
}
