package dev.plasm.engine.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Table;

/**
 * A table whose {@code table.grow} returns -1 past its maximum for every size. Chicory 1.7.5 adds
 * the sizes as ints, so a grow of 0x7fffffff overflows and throws NegativeArraySizeException.
 */
final class CappedTableInstance extends TableInstance {
  CappedTableInstance(Table table, int initialValue) {
    super(table, initialValue);
  }

  @Override
  public int grow(int size, int value, Instance instance) {
    if (size < 0 || (long) size() + size > limits().max()) {
      return -1;
    }
    return super.grow(size, value, instance);
  }
}
