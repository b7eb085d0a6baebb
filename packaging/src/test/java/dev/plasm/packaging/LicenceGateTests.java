package dev.plasm.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The licence gate (packaging/src/main/tools/LicenceGate.java with src/licences/policy.txt): what it
 * wrote for this build, and that it fails a build that adds a dependency under a licence outside the
 * policy.
 */
class LicenceGateTests {
  static final Path TOOL = Deb.REPO.resolve("packaging/src/main/tools/LicenceGate.java");
  static final Path POLICY = Deb.REPO.resolve("packaging/src/licences/policy.txt");
  static final Path MODULES = Deb.TARGET.resolve("modules");
  static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

  static Deb.Result gate(String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                JAVA,
                "--module-path=" + MODULES,
                "--add-modules",
                "tools.jackson.databind",
                TOOL.toString(),
                "--policy",
                POLICY.toString()));
    cmd.addAll(List.of(args));
    return Deb.run(cmd, 120);
  }

  /** A minimal CycloneDX BOM with one library. */
  static Path bom(Path dir, String name, String group, String artifact, String licence)
      throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(
        f,
        """
        {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
          {"type": "library", "group": "%s", "name": "%s", "version": "1.0",
           "purl": "pkg:maven/%s/%s@1.0", "licenses": [{"license": {"id": "%s"}}]}]}
        """
            .formatted(group, artifact, group, artifact, licence));
    return f;
  }

  @Test
  void theShippedSbomAndNoticeListEveryComponentOfTheImageWithItsLicence() throws IOException {
    String sbom = Files.readString(Deb.root().resolve("usr/lib/plasm/sbom.cdx.json"));
    String notice =
        Deb.runOk(
                List.of(
                    "sh",
                    "-c",
                    "f="
                        + Deb.root().resolve("usr/share/doc/plasm/NOTICE")
                        + "; if [ -f $f ]; then cat $f; else zcat $f.gz; fi"),
                10)
            .output();
    // Every third-party jar linked into the image is in both, with the licence its POM declares.
    List<String> jars;
    try (var s = Files.list(MODULES)) {
      jars =
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".jar") && !n.startsWith("plasm-"))
              .toList();
    }
    assertTrue(jars.size() >= 15, "image jars: " + jars);
    for (String jar : jars) {
      // A platform classifier may follow the version (Netty's QUIC library: -linux-x86_64).
      Matcher m =
          Pattern.compile("(.+)-([0-9][^-]*(?:-SNAPSHOT)?)(?:-[a-z]+-[a-z0-9_]+)?\\.jar")
              .matcher(jar);
      assertTrue(m.matches(), jar);
      assertTrue(
          sbom.contains("\"name\" : \"" + m.group(1) + "\"")
              && sbom.contains("\"version\" : \"" + m.group(2) + "\""),
          jar + " is not in the SBOM");
      assertTrue(
          Pattern.compile(
                  "(?m)^\\S*:"
                      + Pattern.quote(m.group(1))
                      + "\\s+"
                      + Pattern.quote(m.group(2))
                      + "\\s+\\S")
              .matcher(notice)
              .find(),
          jar + " is not in NOTICE with a licence");
    }
    // The Java runtime is part of the image too, with its licence (a written decision,
    // docs/licences.md).
    assertTrue(
        sbom.contains("\"purl\" : \"pkg:generic/openjdk@"), "the SBOM lists the Java runtime");
    assertTrue(notice.contains("GPL-2.0-only WITH Classpath-exception-2.0"));
    assertTrue(
        notice.contains("The Legion of the Bouncy Castle"),
        "NOTICE carries the licence files the jars ship");
    assertTrue(
        notice.contains("--- tools.jackson.core:jackson-core 3.3.0: META-INF/NOTICE ---")
            || notice.contains("jackson-core"),
        "NOTICE carries the NOTICE files the jars ship");
    // Netty's QUIC JNI library (a jar with a platform classifier) links quiche and BoringSSL in.
    for (String lib : List.of("quiche", "boringssl")) {
      assertTrue(
          notice.contains(
              "netty-codec-native-quic 4.2.18.Final: META-INF/license/LICENSE." + lib + ".txt ---"),
          "NOTICE carries the " + lib + " licence");
    }
  }

  @Test
  void epl2IsAllowedInTestsButNotInTheImage(@TempDir Path dir) throws IOException {
    Path junit = bom(dir, "junit.json", "org.junit.jupiter", "junit-jupiter-api", "EPL-2.0");
    Path empty = dir.resolve("empty.json");
    Files.writeString(
        empty, "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"components\": []}");

    Deb.Result inImage = gate("--image-bom", junit.toString());
    assertEquals(1, inImage.code(), inImage.output());
    assertTrue(
        inImage
            .output()
            .contains("org.junit.jupiter:junit-jupiter-api 1.0 (in the image): EPL-2.0"),
        inImage.output());

    Deb.Result testOnly = gate("--image-bom", empty.toString(), "--build-bom", junit.toString());
    assertEquals(0, testOnly.code(), testOnly.output());
    assertTrue(
        testOnly
            .output()
            .contains("0 image components and 1 build/test-only components have allowed licences"),
        testOnly.output());

    Path gpl = bom(dir, "gpl.json", "example", "gpl-tool", "GPL-3.0-only");
    Deb.Result gplInTests = gate("--image-bom", empty.toString(), "--build-bom", gpl.toString());
    assertEquals(
        1, gplInTests.code(), "a GPL library is refused in tests too:\n" + gplInTests.output());
  }

  /**
   * A throwaway Maven project wired like packaging/pom.xml (the same CycloneDX plugin and settings, the
   * same tool and policy) with one dependency: with LGPL-3.0 kwik its build fails, with Apache-2.0
   * picocli it passes.
   */
  @Test
  void aBuildThatAddsAnLgplDependencyFails(@TempDir Path dir) throws IOException {
    Deb.Result lgpl = build(dir.resolve("lgpl"), "tech.kwik", "kwik", "0.10.8");
    assertNotEquals(0, lgpl.code(), lgpl.output());
    assertTrue(
        lgpl.output().contains("tech.kwik:kwik 0.10.8 (in the image): LGPL-3.0"), lgpl.output());
    assertTrue(lgpl.output().contains("licences outside the policy"), lgpl.output());

    Deb.Result apache = build(dir.resolve("apache"), "info.picocli", "picocli", "4.7.7");
    assertEquals(0, apache.code(), apache.output());
    assertTrue(
        apache
            .output()
            .contains("1 image components and 0 build/test-only components have allowed licences"),
        apache.output());
  }

  static Deb.Result build(Path project, String group, String artifact, String version)
      throws IOException {
    Files.createDirectories(project);
    Files.writeString(
        project.resolve("pom.xml"),
        """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>test.licence.gate</groupId><artifactId>probe</artifactId><version>1</version>
          <packaging>pom</packaging>
          <dependencies>
            <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>
          </dependencies>
          <build><plugins>
            <plugin>
              <groupId>org.cyclonedx</groupId><artifactId>cyclonedx-maven-plugin</artifactId><version>%s</version>
              <executions><execution><id>image-sbom</id><phase>generate-resources</phase><goals><goal>makeBom</goal></goals>
                <configuration>
                  <projectType>application</projectType><includeTestScope>false</includeTestScope>
                  <includeProvidedScope>false</includeProvidedScope><includeSystemScope>false</includeSystemScope>
                  <outputFormat>json</outputFormat><outputName>plasm-image-bom</outputName>
                  <outputDirectory>${project.build.directory}/sbom</outputDirectory><skipAttach>true</skipAttach>
                </configuration></execution></executions>
            </plugin>
            <plugin>
              <groupId>org.codehaus.mojo</groupId><artifactId>exec-maven-plugin</artifactId><version>%s</version>
              <executions><execution><id>licence-gate</id><phase>process-resources</phase><goals><goal>exec</goal></goals>
                <configuration><executable>%s</executable><arguments>
                  <argument>--module-path=%s</argument><argument>--add-modules</argument><argument>tools.jackson.databind</argument>
                  <argument>%s</argument>
                  <argument>--policy</argument><argument>%s</argument>
                  <argument>--image-bom</argument><argument>${project.build.directory}/sbom/plasm-image-bom.json</argument>
                  <argument>--own-group</argument><argument>test.licence.gate</argument>
                </arguments></configuration></execution></executions>
            </plugin>
          </plugins></build>
        </project>
        """
            .formatted(
                group,
                artifact,
                version,
                System.getProperty("plasm.cyclonedx.version"),
                System.getProperty("plasm.exec.plugin.version"),
                JAVA,
                MODULES,
                TOOL,
                POLICY));
    String mvn = Path.of(System.getProperty("maven.home"), "bin", "mvn").toString();
    return Deb.run(
        List.of(
            "env",
            "JAVA_HOME=" + System.getProperty("java.home"),
            mvn,
            "-B",
            "-ntp",
            "-Dmaven.repo.local=" + System.getProperty("plasm.maven.repo.local"),
            "-f",
            project.resolve("pom.xml").toString(),
            "process-resources"),
        300);
  }
}
