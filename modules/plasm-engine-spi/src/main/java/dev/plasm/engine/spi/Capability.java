package dev.plasm.engine.spi;

/** Optional behaviours an engine may offer beyond the required contract. */
public enum Capability {
  /**
   * The engine answers WASI clocks and {@code random_get} from {@link WasiConfig#determinism()}
   * exactly as {@link Determinism} specifies, so deterministic jobs can run on it.
   */
  DETERMINISTIC_WASI("deterministic-wasi");

  private final String id;

  Capability(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }
}
