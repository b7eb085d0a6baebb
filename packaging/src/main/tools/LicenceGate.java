import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The licence gate: checks every component of the runtime image (a CycloneDX SBOM of the build's
 * dependency tree) and, when given, of the whole build including tests, against the policy file;
 * then writes the SBOM shipped in the package (the image's components plus the Java runtime) and
 * the NOTICE file (each component with its licence, and the NOTICE and licence files the
 * components' jars carry).
 *
 * <p>Usage (module path: Jackson): {@code java --module-path DIR --add-modules tools.jackson.databind
 * LicenceGate.java --policy FILE --image-bom FILE [--build-bom FILE] [--own-group GROUP] [--jars DIR]
 * [--java-release FILE --runtime-release FILE] [--sbom OUT --notice OUT --version V]}
 *
 * <p>Exit code 0: every licence is allowed; 1: some are not (each one is printed); 2: bad usage or
 * unreadable input.
 */
public final class LicenceGate {
  static final JsonMapper JSON = JsonMapper.builder().build();

  record Policy(Set<String> image, Set<String> test, Map<String, String> decisions) {}

  public static void main(String[] args) throws IOException {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        usage("bad argument " + args[i]);
      }
      a.put(args[i].substring(2), args[i + 1]);
    }
    if (!a.containsKey("policy") || !a.containsKey("image-bom")) {
      usage("--policy and --image-bom are required");
    }
    Policy policy = readPolicy(Path.of(a.get("policy")));
    String ownGroup = a.getOrDefault("own-group", "");
    Path imageBom = Path.of(a.get("image-bom"));
    if (!Files.isRegularFile(imageBom)) {
      // Maven skips cyclonedx-maven-plugin when it runs offline (-o): the plugin needs online mode.
      usage(
          imageBom
              + " was not made; cyclonedx-maven-plugin makes it only when Maven runs online (without -o)");
    }
    ObjectNode bom = (ObjectNode) JSON.readTree(Files.readString(imageBom));

    // The Java runtime is in the image but not in the Maven dependency tree.
    ObjectNode jdk = null;
    if (a.containsKey("java-release")) {
      jdk = javaRuntime(Path.of(a.get("java-release")), Path.of(a.get("runtime-release")));
      ((ArrayNode) bom.withArray("components")).add(jdk);
    }

    List<String> problems = new ArrayList<>();
    Set<String> inImage = new LinkedHashSet<>();
    for (JsonNode c : bom.path("components")) {
      inImage.add(key(c));
      check(c, "image", policy, ownGroup, problems);
    }
    int buildOnly = 0;
    if (a.containsKey("build-bom")) {
      Path buildBom = Path.of(a.get("build-bom"));
      if (Files.isRegularFile(buildBom)) {
        for (JsonNode c : JSON.readTree(Files.readString(buildBom)).path("components")) {
          if (!inImage.contains(key(c))) {
            buildOnly++;
            check(c, "test", policy, ownGroup, problems);
          }
        }
      } else {
        System.out.println(
            "LicenceGate: note: "
                + buildBom
                + " does not exist (it is made when the build starts at the"
                + " repository root); only the image's components were checked");
      }
    }
    if (!problems.isEmpty()) {
      System.err.println(
          "LicenceGate: licences outside the policy ("
              + a.get("policy")
              + "; see docs/licences.md):");
      problems.forEach(p -> System.err.println("  " + p));
      System.err.println(
          "Remove the dependency, pick another version or library, or write a decision in"
              + " docs/licences.md and add it to the policy.");
      System.exit(1);
    }
    System.out.println(
        "LicenceGate: "
            + inImage.size()
            + " image components and "
            + buildOnly
            + " build/test-only components have allowed licences");

    if (a.containsKey("sbom")) {
      Path out = Path.of(a.get("sbom"));
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(bom) + "\n");
    }
    if (a.containsKey("notice")) {
      Path out = Path.of(a.get("notice"));
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, notice(bom, ownGroup, a.get("jars"), a.getOrDefault("version", "")));
    }
  }

  static Policy readPolicy(Path file) throws IOException {
    Set<String> image = new LinkedHashSet<>(), test = new LinkedHashSet<>();
    Map<String, String> decisions = new LinkedHashMap<>();
    int n = 0;
    for (String raw : Files.readAllLines(file)) {
      n++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] w = line.split("\\s+", 3);
      if (w.length < 3) {
        usage(file + ":" + n + ": expected 'allow image|test LICENCE' or 'decision PURL LICENCE'");
      }
      switch (w[0] + " " + (w[0].equals("decision") ? "" : w[1])) {
        case "allow image" -> image.add(w[2]);
        case "allow test" -> test.add(w[2]);
        case "decision " -> decisions.put(w[1], w[2]);
        default ->
            usage(
                file
                    + ":"
                    + n
                    + ": expected 'allow image|test LICENCE' or 'decision PURL LICENCE'");
      }
    }
    return new Policy(image, test, decisions);
  }

  /** A component passes when one of its licences (a choice, as POMs list them) is allowed where it is used. */
  static void check(
      JsonNode c, String where, Policy policy, String ownGroup, List<String> problems) {
    if (!ownGroup.isEmpty() && ownGroup.equals(c.path("group").asString(""))) {
      return; // the project's own modules
    }
    List<String> licences = licences(c);
    String purl = c.path("purl").asString("");
    for (String l : licences) {
      if (policy.image().contains(l) || (where.equals("test") && policy.test().contains(l))) {
        return;
      }
      for (Map.Entry<String, String> d : policy.decisions().entrySet()) {
        if (purl.startsWith(d.getKey()) && d.getValue().equals(l)) {
          return;
        }
      }
    }
    String what = where.equals("image") ? "in the image" : "in tests or the build only";
    problems.add(
        name(c)
            + " ("
            + what
            + "): "
            + (licences.isEmpty() ? "no licence declared" : String.join(" | ", licences)));
  }

  static List<String> licences(JsonNode c) {
    List<String> out = new ArrayList<>();
    for (JsonNode l : c.path("licenses")) {
      if (l.has("expression")) {
        out.add(l.get("expression").asString());
      } else {
        JsonNode lic = l.path("license");
        String v = lic.has("id") ? lic.get("id").asString() : lic.path("name").asString("");
        if (!v.isEmpty()) {
          out.add(v);
        }
      }
    }
    return out;
  }

  static String key(JsonNode c) {
    return c.path("group").asString("")
        + ":"
        + c.path("name").asString("")
        + ":"
        + c.path("version").asString("");
  }

  static String name(JsonNode c) {
    String g = c.path("group").asString("");
    return (g.isEmpty() ? "" : g + ":")
        + c.path("name").asString("")
        + " "
        + c.path("version").asString("");
  }

  /** The jlink'd Java runtime as a CycloneDX component, from the JDK's and the image's release files. */
  static ObjectNode javaRuntime(Path javaRelease, Path runtimeRelease) throws IOException {
    Map<String, String> jdk = release(javaRelease), image = release(runtimeRelease);
    String version = image.getOrDefault("JAVA_VERSION", jdk.get("JAVA_VERSION"));
    List<String> javaModules = new ArrayList<>();
    for (String m : image.getOrDefault("MODULES", "").split(" ")) {
      if (m.startsWith("java.") || m.startsWith("jdk.")) {
        javaModules.add(m);
      }
    }
    ObjectNode c = JSON.createObjectNode();
    String purl = "pkg:generic/openjdk@" + version;
    c.put("type", "framework");
    c.put("bom-ref", purl);
    c.put("publisher", jdk.getOrDefault("IMPLEMENTOR", "OpenJDK"));
    c.put("name", "openjdk");
    c.put("version", version);
    c.put(
        "description",
        "The Java runtime, linked by jlink with the modules "
            + String.join(", ", javaModules)
            + "; its legal notices are in the image's legal/ directory");
    c.putArray("licenses")
        .addObject()
        .put("expression", "GPL-2.0-only WITH Classpath-exception-2.0");
    c.put("purl", purl);
    return c;
  }

  static Map<String, String> release(Path file) throws IOException {
    Map<String, String> m = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        m.put(line.substring(0, eq), line.substring(eq + 1).replaceAll("^\"|\"$", ""));
      }
    }
    return m;
  }

  static String notice(JsonNode bom, String ownGroup, String jarsDir, String version)
      throws IOException {
    StringBuilder b = new StringBuilder();
    String title = "Plasm " + version + ": the software in this package and its licences";
    b.append(title).append('\n').append("=".repeat(title.length())).append("\n\n");
    b.append(
        "The runtime image in /usr/lib/plasm holds Plasm's own modules and the components below.\n"
            + "This file is generated from the build's dependency tree; /usr/lib/plasm/sbom.cdx.json is the same\n"
            + "list as a CycloneDX SBOM. Which licences are allowed, and why: licences.md.\n\n");
    Map<String, String> rows = new TreeMap<>();
    for (JsonNode c : bom.path("components")) {
      if (ownGroup.equals(c.path("group").asString(""))) {
        continue;
      }
      String g = c.path("group").asString("");
      rows.put(
          (g.isEmpty() ? "" : g + ":") + c.path("name").asString(""),
          c.path("version").asString("") + "\t" + String.join(" | ", licences(c)));
    }
    int width = rows.keySet().stream().mapToInt(String::length).max().orElse(10) + 2;
    b.append(pad("Component", width)).append(pad("Version", 14)).append("Licence\n");
    for (Map.Entry<String, String> r : rows.entrySet()) {
      String[] v = r.getValue().split("\t", 2);
      b.append(pad(r.getKey(), width)).append(pad(v[0], 14)).append(v[1]).append('\n');
    }
    b.append("\nThe Java runtime's own notices (per module) are in /usr/lib/plasm/legal.\n");

    if (jarsDir != null) {
      b.append("\n\nNotices and licence files shipped inside the components\n")
          .append("=======================================================\n");
      Map<String, String> seen = new HashMap<>();
      for (JsonNode c : bom.path("components")) {
        Path jar =
            jar(
                Path.of(jarsDir),
                c.path("name").asString("") + "-" + c.path("version").asString(""));
        if (ownGroup.equals(c.path("group").asString("")) || jar == null) {
          continue;
        }
        try (JarFile jf = new JarFile(jar.toFile(), false)) {
          for (JarEntry e :
              jf.stream().sorted((x, y) -> x.getName().compareTo(y.getName())).toList()) {
            String n = e.getName();
            String base = n.substring(n.lastIndexOf('/') + 1).toUpperCase(java.util.Locale.ROOT);
            if (e.isDirectory()
                || !n.startsWith("META-INF/")
                || n.endsWith(".class")
                || !(base.contains("NOTICE")
                    || base.contains("LICENSE")
                    || base.contains("LICENCE"))) {
              continue;
            }
            String text;
            try (InputStream in = jf.getInputStream(e)) {
              text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
            String where = name(c) + ": " + n;
            b.append("\n--- ").append(where).append(" ---\n");
            String first = seen.putIfAbsent(sha256(text), where);
            b.append(first == null ? text : "(the same text as " + first + ")").append('\n');
          }
        }
      }
    }
    return b.toString();
  }

  /**
   * The jar {@code nameVersion}.jar in {@code dir}, or one with a platform classifier after the
   * version (Netty's QUIC library, {@code -linux-x86_64}, which carries quiche's and BoringSSL's
   * licences); null if there is none.
   */
  static Path jar(Path dir, String nameVersion) throws IOException {
    Path plain = dir.resolve(nameVersion + ".jar");
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    try (var files = Files.list(dir)) {
      return files
          .filter(
              f ->
                  f.getFileName()
                      .toString()
                      .matches(
                          java.util.regex.Pattern.quote(nameVersion) + "-[a-z]+-[a-z0-9_]+\\.jar"))
          .sorted()
          .findFirst()
          .orElse(null);
    }
  }

  static String pad(String s, int w) {
    return s.length() >= w ? s + " " : s + " ".repeat(w - s.length());
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void usage(String message) {
    System.err.println("LicenceGate: " + message);
    System.exit(2);
  }
}
