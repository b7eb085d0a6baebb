package dev.plasm.engine.chicory;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.MalformedException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.plasm.api.ModuleRejectedException;
import dev.plasm.api.RejectionKind;
import dev.plasm.engine.spi.CompileSettings;
import dev.plasm.engine.spi.CompiledModule;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.WasmEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.function.Function;

/** Parses and validates modules with Chicory and, for the compiler engine, compiles them. */
final class ChicoryEngine implements WasmEngine {
  static final String CHICORY_VERSION = loadVersion();

  private final EngineDescriptor descriptor;
  private final boolean compile;

  ChicoryEngine(EngineDescriptor descriptor, boolean compile) {
    this.descriptor = descriptor;
    this.compile = compile;
  }

  @Override
  public EngineDescriptor descriptor() {
    return descriptor;
  }

  @Override
  public CompiledModule compile(byte[] wasm, CompileSettings settings) {
    WasmModule module;
    try {
      module = Parser.parse(wasm);
    } catch (InvalidException e) {
      throw new ModuleRejectedException(
          RejectionKind.INVALID, "invalid module: " + e.getMessage(), e);
    } catch (MalformedException e) {
      throw new ModuleRejectedException(
          RejectionKind.MALFORMED, "malformed module: " + e.getMessage(), e);
    } catch (ChicoryException e) {
      throw new ModuleRejectedException(
          RejectionKind.MALFORMED, "malformed module: " + e.getMessage(), e);
    } catch (OutOfMemoryError e) {
      // A hostile size field (e.g. a 2 GiB custom-section name) makes the decoder allocate.
      throw new ModuleRejectedException(
          RejectionKind.MALFORMED,
          "malformed module: a size field asks for more memory than the module holds",
          e);
    } catch (RuntimeException | StackOverflowError e) {
      // Chicory's decoder lets raw Java exceptions escape on hostile input; all mean "bad bytes".
      throw new ModuleRejectedException(
          RejectionKind.MALFORMED, "malformed module: " + describe(e), e);
    }
    Function<Instance, Machine> machine = null;
    if (compile) {
      try {
        machine = MachineFactoryCompiler.compile(module);
      } catch (InvalidException e) {
        throw new ModuleRejectedException(
            RejectionKind.INVALID, "invalid module: " + e.getMessage(), e);
      } catch (RuntimeException | StackOverflowError e) {
        throw new ModuleRejectedException(
            RejectionKind.INVALID, "module cannot be compiled: " + describe(e), e);
      }
    }
    return new ChicoryModule(descriptor.id(), module, machine);
  }

  static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  private static String loadVersion() {
    try (InputStream in = ChicoryEngine.class.getResourceAsStream("engine.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("chicory.version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
