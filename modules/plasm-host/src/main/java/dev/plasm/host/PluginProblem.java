package dev.plasm.host;

import java.util.Objects;

/**
 * A plugin, or one provider in it, that could not be used.
 *
 * @param source the plugin's path, or {@code boot}
 * @param message what went wrong and what to do
 */
public record PluginProblem(String source, String message) {
  public PluginProblem {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(message, "message");
  }
}
