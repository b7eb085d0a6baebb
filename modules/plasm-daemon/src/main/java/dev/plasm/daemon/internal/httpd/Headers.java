package dev.plasm.daemon.internal.httpd;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** A request's header fields in arrival order; names compare case-insensitively. */
public final class Headers {
  private final List<String> names = new ArrayList<>();
  private final List<String> values = new ArrayList<>();

  void add(String name, String value) {
    names.add(name.toLowerCase(Locale.ROOT));
    values.add(value);
  }

  /** The first value of {@code name}, or null. */
  public String first(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(n)) {
        return values.get(i);
      }
    }
    return null;
  }

  /** Every value of {@code name}, in order. */
  public List<String> all(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    List<String> out = new ArrayList<>(1);
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(n)) {
        out.add(values.get(i));
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** True when a comma-separated header such as {@code Connection} holds {@code token}. */
  boolean hasToken(String name, String token) {
    for (String v : all(name)) {
      for (String part : v.split(",")) {
        if (part.strip().equalsIgnoreCase(token)) {
          return true;
        }
      }
    }
    return false;
  }

  public int size() {
    return names.size();
  }
}
