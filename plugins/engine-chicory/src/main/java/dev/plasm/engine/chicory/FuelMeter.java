package dev.plasm.engine.chicory;

import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.wasm.types.Instruction;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitExceededException;

/**
 * Counts interpreted instructions and stops the run when the budget is spent. It also checks for
 * interruption, which makes metered runs stoppable on every loop shape.
 */
final class FuelMeter implements ExecutionListener {
  private final long budget;
  private long consumed;

  FuelMeter(long budget) {
    this.budget = budget;
  }

  @Override
  public void onExecution(Instruction instruction, MStack stack) {
    if (++consumed > budget) {
      consumed = budget;
      throw new LimitExceededException(
          Limit.FUEL,
          "the job used all of its " + budget + " units of fuel (" + Limit.FUEL.flag() + ")");
    }
    if ((consumed & 0x3ff) == 0 && Thread.currentThread().isInterrupted()) {
      throw new Interrupted();
    }
  }

  long consumed() {
    return consumed;
  }

  /** Thrown out of the interpreter when the run's thread was interrupted. */
  static final class Interrupted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Interrupted() {
      super("interrupted", null, false, false);
    }
  }
}
