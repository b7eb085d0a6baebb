package dev.plasm.transport.libp2p.internal.kad;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The records this node holds for the DHT: validated on the way in, capped in number, and
 * expired {@code ttl} after they were last received.
 */
public final class RecordStore {
  /** A stored record and when it stops being served. */
  public record Stored(byte[] key, byte[] value, Instant received, Instant expires) {}

  /** What a put did. */
  public enum PutResult {
    STORED,
    KEPT_BETTER,
    FULL
  }

  private final RecordValidator validator;
  private final int maxRecords;
  private final Duration ttl;
  private final Map<String, Stored> records = new HashMap<>();

  public RecordStore(RecordValidator validator, int maxRecords, Duration ttl) {
    this.validator = validator;
    this.maxRecords = maxRecords;
    this.ttl = ttl;
  }

  /**
   * Validates and stores; a held value that the selector prefers is kept (its expiry is not
   * extended). Throws {@link RecordValidator.InvalidRecordException} for an invalid record.
   */
  public synchronized PutResult put(byte[] key, byte[] value, Instant now) {
    validator.validate(key, value);
    String k = HexFormat.of().formatHex(key);
    Stored old = records.get(k);
    if (old != null
        && old.expires().isAfter(now)
        && !java.util.Arrays.equals(old.value(), value)
        && validator.select(List.of(old.value(), value)) == 0) {
      return PutResult.KEPT_BETTER;
    }
    if (old == null && records.size() >= maxRecords) {
      sweep(now);
      if (records.size() >= maxRecords) {
        return PutResult.FULL;
      }
    }
    records.put(k, new Stored(key.clone(), value.clone(), now, now.plus(ttl)));
    return PutResult.STORED;
  }

  public synchronized Optional<Stored> get(byte[] key, Instant now) {
    Stored s = records.get(HexFormat.of().formatHex(key));
    return s != null && s.expires().isAfter(now) ? Optional.of(s) : Optional.empty();
  }

  /** Drops expired records; returns how many. */
  public synchronized int sweep(Instant now) {
    int before = records.size();
    records.values().removeIf(s -> !s.expires().isAfter(now));
    return before - records.size();
  }

  public synchronized int size() {
    return records.size();
  }

  public synchronized List<Stored> all() {
    return new ArrayList<>(records.values());
  }
}
