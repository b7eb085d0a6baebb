package dev.plasm.daemon.internal.log;

import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Structured log lines on one stream: {@code text} ({@code TIME LEVEL message key=value ...}) or
 * {@code json} (one object per line with {@code time}, {@code level}, {@code msg} and the fields).
 */
public final class Log {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final PrintStream out;
  private final boolean json;

  public Log(PrintStream out, String format) {
    this.out = out;
    this.json = format.equals("json");
  }

  public void info(String msg, Object... kv) {
    write("INFO", msg, kv);
  }

  public void warn(String msg, Object... kv) {
    write("WARN", msg, kv);
  }

  public void error(String msg, Object... kv) {
    write("ERROR", msg, kv);
  }

  private void write(String level, String msg, Object... kv) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) {
      fields.put(String.valueOf(kv[i]), kv[i + 1]);
    }
    String line;
    if (json) {
      ObjectNode o = JSON.createObjectNode();
      o.put("time", Instant.now().toString());
      o.put("level", level.toLowerCase(java.util.Locale.ROOT));
      o.put("msg", msg);
      fields.forEach(
          (k, v) -> {
            if (v instanceof Number n) {
              o.put(k, n.longValue());
            } else if (v instanceof Boolean b) {
              o.put(k, b);
            } else {
              o.put(k, String.valueOf(v));
            }
          });
      line = o.toString();
    } else {
      StringBuilder b =
          new StringBuilder()
              .append(Instant.now())
              .append(' ')
              .append(level)
              .append(' ')
              .append(msg);
      fields.forEach(
          (k, v) -> {
            String s = String.valueOf(v);
            b.append(' ').append(k).append('=');
            b.append(
                s.isEmpty() || s.chars().anyMatch(c -> c == ' ' || c == '"' || c < 0x20)
                    ? JSON.writeValueAsString(s)
                    : s);
          });
      line = b.toString();
    }
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
