package dev.plasm.cli.term;

import dev.plasm.api.JobState;
import java.util.Map;

/**
 * Colour for one output stream: ANSI colours on a terminal, nothing on a pipe, with {@code NO_COLOR}
 * (any non-empty value, https://no-color.org) or {@code TERM=dumb} turning them off.
 */
public final class Style {
  /** No colour: every method returns its text unchanged. */
  public static final Style PLAIN = new Style(false);

  private final boolean colour;

  private Style(boolean colour) {
    this.colour = colour;
  }

  /** Colour when {@code terminal} is true and the environment allows it. */
  public static Style of(Map<String, String> env, boolean terminal) {
    return terminal && allowed(env) ? new Style(true) : PLAIN;
  }

  /** Whether the environment allows colour at all. */
  public static boolean allowed(Map<String, String> env) {
    String noColor = env.get("NO_COLOR");
    return (noColor == null || noColor.isEmpty()) && !"dumb".equals(env.get("TERM"));
  }

  public boolean enabled() {
    return colour;
  }

  public String bold(String s) {
    return sgr("1", s);
  }

  public String dim(String s) {
    return sgr("2", s);
  }

  public String red(String s) {
    return sgr("31", s);
  }

  public String green(String s) {
    return sgr("32", s);
  }

  public String yellow(String s) {
    return sgr("33", s);
  }

  public String cyan(String s) {
    return sgr("36", s);
  }

  /** A job's state coloured by what it means (see {@link #state(String)}). */
  public String state(JobState s) {
    return colour(s, s.id());
  }

  private String colour(JobState s, String text) {
    return switch (s) {
      case QUEUED, RUNNING -> cyan(text);
      case FINISHED -> green(text);
      case CANCELLED, INTERRUPTED -> yellow(text);
    };
  }

  /**
   * A state, outcome or verdict word coloured by what it means: green for success, cyan for work in
   * progress, yellow for a stop someone asked for, red for a failure. A job state's name (a table's
   * cell) is coloured as {@link #state(JobState)} colours it.
   */
  public String state(String s) {
    String word = s.strip();
    int space = word.indexOf(' ');
    String head = (space < 0 ? word : word.substring(0, space)).replaceAll("[:,]$", "");
    JobState job = JobState.byId(head);
    if (job != null) {
      return colour(job, s);
    }
    return switch (head) {
      case "completed" ->
          word.equals("completed 0") || word.equals("completed") ? green(s) : yellow(s);
      case "ok", "up", "VALID" -> green(s);
      case "AUTHENTIC" -> yellow(s);
      case "trapped",
          "limit-exceeded",
          "rejected",
          "failed",
          "FAIL",
          "down",
          "INVALID",
          "MALFORMED",
          "MISMATCH" ->
          red(s);
      default -> s;
    };
  }

  private String sgr(String code, String s) {
    return colour && !s.isEmpty() ? "\033[" + code + "m" + s + "\033[0m" : s;
  }
}
