package dev.plasm.engine.spi.support.wasi;

import static dev.plasm.engine.spi.support.wasi.Guest.u32;

import dev.plasm.engine.spi.support.wasi.Descriptors.Descriptor;
import dev.plasm.engine.spi.support.wasi.Descriptors.File;
import dev.plasm.engine.spi.support.wasi.Descriptors.Input;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code poll_oneoff}. Descriptors are always ready: files and directories as in POSIX, stdout and
 * stderr because a write never waits, and stdin because its end counts as readable. So a call
 * returns at once when it watches any descriptor, and otherwise sleeps until its earliest clock.
 */
final class Poll {
  /** Reads a clock; the run's recorded clock in a deterministic run. */
  @FunctionalInterface
  interface Clock {
    long now(int id) throws WasiError;
  }

  private record Event(long userdata, int error, int type, long nbytes) {}

  private final Descriptors fds;
  private final Clock clock;

  Poll(Descriptors fds, Clock clock) {
    this.fds = fds;
    this.clock = clock;
  }

  /** Returns the number of events written at {@code out}. */
  int poll(GuestMemory m, long in, long out, long count) throws WasiError {
    if (count == 0) {
      throw new WasiError(Abi.INVAL);
    }
    if (count > 65_536) {
      throw new WasiError(Abi.INVAL);
    }
    Guest.check(m, in, count * Abi.SUBSCRIPTION_SIZE);
    Guest.check(m, out, count * Abi.EVENT_SIZE);
    List<Event> ready = new ArrayList<>();
    long earliest = Long.MAX_VALUE; // a monotonic deadline, in System.nanoTime() terms
    List<long[]> clocks = new ArrayList<>(); // {index, deadline}
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      int s = (int) (u32(in) + (long) i * Abi.SUBSCRIPTION_SIZE);
      long userdata = m.readLong(s);
      int tag = m.readByte(s + 8) & 0xff;
      switch (tag) {
        case Abi.EVENT_CLOCK -> {
          int id = m.readInt(s + 16);
          long timeout = m.readLong(s + 24);
          int flags = m.readShort(s + 40) & 0xffff;
          long delay;
          try {
            if (id < Abi.CLOCK_REALTIME || id > Abi.CLOCK_THREAD_CPUTIME) {
              throw new WasiError(Abi.INVAL);
            }
            delay = (flags & Abi.SUBCLOCK_ABSTIME) != 0 ? timeout - clock.now(id) : timeout;
          } catch (WasiError e) {
            ready.add(new Event(userdata, e.errno, Abi.EVENT_CLOCK, 0));
            continue;
          }
          long deadline = start + Math.max(0, Math.min(delay, Long.MAX_VALUE / 4));
          clocks.add(new long[] {userdata, deadline});
          earliest = Math.min(earliest, deadline);
        }
        case Abi.EVENT_FD_READ, Abi.EVENT_FD_WRITE ->
            ready.add(fdEvent(userdata, tag, m.readInt(s + 16)));
        default -> ready.add(new Event(userdata, Abi.INVAL, tag, 0));
      }
    }
    if (ready.isEmpty() && earliest != Long.MAX_VALUE) {
      sleepUntil(earliest);
      long now = System.nanoTime();
      for (long[] c : clocks) {
        if (c[1] <= now) {
          ready.add(new Event(c[0], Abi.SUCCESS, Abi.EVENT_CLOCK, 0));
        }
      }
    }
    for (int i = 0; i < ready.size(); i++) {
      Event e = ready.get(i);
      int p = (int) (u32(out) + (long) i * Abi.EVENT_SIZE);
      m.write(p, new byte[Abi.EVENT_SIZE], 0, Abi.EVENT_SIZE);
      m.writeLong(p, e.userdata());
      m.writeShort(p + 8, (short) e.error());
      m.writeByte(p + 10, (byte) e.type());
      m.writeLong(p + 16, e.nbytes());
    }
    return ready.size();
  }

  private Event fdEvent(long userdata, int type, int fd) {
    Descriptor d;
    try {
      d = fds.get(fd);
    } catch (WasiError e) {
      return new Event(userdata, Abi.BADF, type, 0);
    }
    long nbytes = 0;
    try {
      if (type == Abi.EVENT_FD_READ && d instanceof File f) {
        nbytes = Math.max(0, f.channel.size() - f.channel.position());
      } else if (type == Abi.EVENT_FD_READ && d instanceof Input in) {
        nbytes = Math.max(0, in.in.available());
      }
    } catch (IOException e) {
      return new Event(userdata, Abi.IO, type, 0);
    }
    return new Event(userdata, Abi.SUCCESS, type, nbytes);
  }

  private static void sleepUntil(long deadline) {
    try {
      for (long left = deadline - System.nanoTime();
          left > 0;
          left = deadline - System.nanoTime()) {
        Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GuestInterruptedException();
    }
  }
}
