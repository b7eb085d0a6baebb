package dev.plasm.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * One test of the suite: {@code SUITE/X.wasm} and its specification {@code SUITE/X.json}.
 *
 * @param suite the sub-suite directory ({@code c}, {@code rust}, {@code assemblyscript})
 */
record SuiteTest(String suite, String name, Path wasm, Spec spec) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The keys of the suite's (legacy, preview-1) specification format; anything else is refused. */
  private static final Set<String> KEYS =
      Set.of("args", "env", "root", "exit_code", "stdout", "stderr");

  /** {@code suite/name}, the id known-failure lists use. */
  String id() {
    return suite + "/" + name;
  }

  /** Every {@code *.wasm} under {@code root}'s sub-suites, sorted by id. */
  static List<SuiteTest> all(Path root) throws IOException {
    List<SuiteTest> tests = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root, 2)) {
      for (Path wasm :
          s.filter(p -> p.getFileName().toString().endsWith(".wasm")).sorted().toList()) {
        String name = wasm.getFileName().toString().replaceFirst("\\.wasm$", "");
        Path json = wasm.resolveSibling(name + ".json");
        Spec spec = Files.isRegularFile(json) ? Spec.parse(json) : Spec.DEFAULT;
        tests.add(new SuiteTest(wasm.getParent().getFileName().toString(), name, wasm, spec));
      }
    }
    return tests;
  }

  /**
   * What a test expects. Missing keys take the suite's defaults: no args, an empty environment, no
   * preopen, exit code 0, and stdout/stderr not checked.
   *
   * @param root a directory beside the test, preopened as the guest's {@code /}; null for none
   * @param stdout the exact expected stdout, or null to not check it
   * @param stderr the exact expected stderr, or null to not check it
   */
  record Spec(
      List<String> args,
      Map<String, String> env,
      String root,
      int exitCode,
      String stdout,
      String stderr) {
    static final Spec DEFAULT = new Spec(List.of(), Map.of(), null, 0, null, null);

    Spec {
      args = List.copyOf(args);
      env = Map.copyOf(env);
    }

    static Spec parse(Path json) throws IOException {
      JsonNode n = JSON.readTree(json.toFile());
      for (String key : n.propertyNames()) {
        if (!KEYS.contains(key)) {
          throw new IllegalStateException(
              json
                  + ": unknown key '"
                  + key
                  + "'; this runner knows "
                  + KEYS
                  + " (the suite's preview-1 format). A refreshed suite may need a newer runner.");
        }
      }
      List<String> args = new ArrayList<>();
      n.path("args").forEach(a -> args.add(a.asString()));
      Map<String, String> env = new LinkedHashMap<>();
      n.path("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asString()));
      return new Spec(
          args,
          env,
          n.hasNonNull("root") ? n.get("root").asString() : null,
          n.path("exit_code").asInt(0),
          n.hasNonNull("stdout") ? n.get("stdout").asString() : null,
          n.hasNonNull("stderr") ? n.get("stderr").asString() : null);
    }

    /** What differs between this expectation and a run; empty when the test passed. */
    List<String> mismatches(WasiTestsuiteTests.Result r) {
      List<String> problems = new ArrayList<>();
      if (r.exitCode() != exitCode) {
        problems.add("exit code " + r.exitCode() + ", expected " + exitCode);
      }
      if (stdout != null && !Objects.equals(stdout, r.stdout())) {
        problems.add("stdout differs from the expected " + quote(stdout));
      }
      if (stderr != null && !Objects.equals(stderr, r.stderr())) {
        problems.add("stderr differs from the expected " + quote(stderr));
      }
      return problems;
    }

    private static String quote(String s) {
      return "\"" + s.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + "\"";
    }
  }
}
