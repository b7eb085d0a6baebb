package dev.plasm.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .deb's files, modes, control data and maintainer scripts, and its launcher run from the package's tree. */
class DebContentsTests {
  /** What an operator and the service need, by path in the package. */
  static final List<String> REQUIRED =
      List.of(
          "./usr/lib/plasm/bin/java",
          "./usr/lib/plasm/bin/plasm",
          "./usr/lib/plasm/lib/modules",
          "./usr/lib/plasm/lib/plasm.aot",
          "./usr/lib/plasm/lib/plasm-client.aot",
          "./usr/lib/plasm/lib/wasmtime/libwasmtime_jni.so",
          "./usr/lib/plasm/release",
          "./usr/lib/plasm/sbom.cdx.json",
          "./usr/lib/plasm/plugins/README.txt",
          "./usr/lib/plasm/legal/java.base/LICENSE",
          "./etc/plasm/plasmd.toml",
          "./lib/systemd/system/plasmd.service",
          "./usr/share/man/man1/plasm.1.gz",
          "./usr/share/bash-completion/completions/plasm",
          "./usr/share/doc/plasm/copyright",
          "./usr/share/doc/plasm/changelog.gz",
          "./usr/share/doc/plasm/examples/hello.wasm",
          "./usr/share/lintian/overrides/plasm");

  static final Pattern ENTRY =
      Pattern.compile("^([-dlrwxst]{10}) (\\S+)/(\\S+)\\s+\\d+ \\S+ \\S+ (\\S+?)(?: -> (\\S+))?$");

  @Test
  void controlFieldsNameThePackageAndOnlySystemLibraries() {
    assertEquals("plasm", Deb.field("Package"));
    assertEquals(
        PROJECT_DEB_VERSION,
        Deb.field("Version"),
        "Maven's -SNAPSHOT becomes ~SNAPSHOT (sorts before the release)");
    assertTrue(Set.of("amd64", "arm64").contains(Deb.field("Architecture")));
    assertTrue(Deb.field("Maintainer").matches(".+ <[^@ ]+@[^@ ]+>"), Deb.field("Maintainer"));
    assertTrue(
        Deb.field("Installed-Size").matches("\\d{5,}"),
        "Installed-Size in KiB: " + Deb.field("Installed-Size"));
    // The image brings its own Java runtime: no JRE, only libc (and libgcc for wasmtime) and
    // adduser.
    String depends = Deb.field("Depends");
    assertTrue(
        depends.matches("adduser, libc6 \\(>= 2\\.\\d+\\)(, libgcc-s1 \\(>= [\\d.]+\\))?"),
        depends);
    assertTrue(Deb.field("Description").startsWith("peer-to-peer WebAssembly compute runtime"));
  }

  static final String PROJECT_DEB_VERSION = Deb.PROJECT_VERSION.replace('-', '~');

  @Test
  void filesAreRootOwnedWithDebianModes() {
    Map<String, String[]> entries = entries();
    for (String path : REQUIRED) {
      assertTrue(entries.containsKey(path), path + " is missing from the package");
    }
    for (Map.Entry<String, String[]> e : entries.entrySet()) {
      String[] v = e.getValue();
      assertEquals("root/root", v[1], e.getKey() + " must belong to root");
      if (v[0].startsWith("l")) {
        continue; // a symlink's own mode means nothing
      }
      assertFalse(
          v[0].charAt(5) == 'w' || v[0].charAt(8) == 'w',
          e.getKey() + " is writable by group or others: " + v[0]);
      assertFalse(
          v[0].contains("s") || v[0].contains("S"), e.getKey() + " is setuid/setgid: " + v[0]);
    }
    assertEquals("-rwxr-xr-x", entries.get("./usr/lib/plasm/bin/java")[0]);
    assertEquals("-rwxr-xr-x", entries.get("./usr/lib/plasm/bin/plasm")[0]);
    assertEquals(
        "-rwxr-xr-x",
        entries.get("./usr/lib/plasm/lib/jspawnhelper")[0],
        "the JDK starts worker processes through it");
    assertEquals("-rw-r--r--", entries.get("./usr/lib/plasm/lib/server/libjvm.so")[0]);
    assertEquals("-rw-r--r--", entries.get("./etc/plasm/plasmd.toml")[0]);
    assertEquals("-rw-r--r--", entries.get("./lib/systemd/system/plasmd.service")[0]);
    // /usr/bin/plasm is a relative symlink to the image's launcher, which resolves it (readlink
    // -f).
    assertEquals("lrwxrwxrwx", entries.get("./usr/bin/plasm")[0]);
    assertEquals("../lib/plasm/bin/plasm", entries.get("./usr/bin/plasm")[2]);
    // State is made by postinst (and systemd's StateDirectory), never shipped.
    assertTrue(
        entries.keySet().stream().noneMatch(p -> p.startsWith("./var/")),
        "the package must not ship /var");
  }

  @Test
  void conffilesAndChecksumsCoverThePackage() {
    assertEquals(List.of("/etc/plasm/plasmd.toml"), Deb.controlFile("conffiles").lines().toList());
    Set<String> summed = new TreeSet<>();
    for (String line : Deb.controlFile("md5sums").split("\n")) {
      assertTrue(line.matches("[0-9a-f]{32}  \\S+"), line);
      summed.add("./" + line.substring(34));
    }
    Set<String> files = new TreeSet<>();
    entries()
        .forEach(
            (p, v) -> {
              if (v[0].startsWith("-")) {
                files.add(p);
              }
            });
    assertEquals(files, summed, "md5sums must list every regular file");
  }

  @Test
  void maintainerScriptsStartTheServiceOnlyWhereSystemdRuns() {
    for (String script : List.of("postinst", "prerm", "postrm")) {
      String text = Deb.controlFile(script);
      assertTrue(text.startsWith("#!/bin/sh\n"), script);
      assertTrue(text.contains("\nset -e\n"), script + " must stop on errors");
      Path f = Deb.TARGET.resolve("root/DEBIAN/" + script);
      Deb.runOk(List.of("sh", "-n", f.toString()), 10);
      // Every call that needs a running systemd sits inside the /run/systemd/system guard.
      boolean guarded = false;
      for (String line : text.split("\n")) {
        if (line.contains("[ -d /run/systemd/system ]")) {
          guarded = true;
        } else if (line.equals("fi")) {
          guarded = false;
        }
        if (!line.strip().startsWith("#")
            && (line.contains("systemctl ") || line.contains("deb-systemd-invoke "))) {
          assertTrue(guarded, script + " calls systemd outside the guard: " + line);
        }
      }
    }
    String postinst = Deb.controlFile("postinst");
    assertTrue(
        postinst.contains("adduser --system --group --home /var/lib/plasm"),
        "postinst creates the plasm user");
    assertTrue(postinst.contains("-m 0700 /var/lib/plasm"), "the state directory is private");
    String postrm = Deb.controlFile("postrm");
    assertTrue(
        postrm.matches("(?s).*\"\\$1\" = purge.*rm -rf /var/lib/plasm.*"),
        "purge removes the state");
    assertFalse(postrm.contains("deluser"), "the plasm user stays on purge");
  }

  @Test
  void theLauncherFromThePackageTreeExecsItsOwnJava(@TempDir Path state) throws Exception {
    Path root = Deb.root();
    Path plasm = root.resolve("usr/bin/plasm");
    Deb.Result version = Deb.runOk(List.of(plasm.toString(), "--version"), 60);
    assertTrue(version.output().startsWith("plasm " + Deb.PROJECT_VERSION), version.output());
    Deb.Result hello =
        Deb.runOk(
            List.of(
                plasm.toString(),
                "run",
                root.resolve("usr/share/doc/plasm/examples/hello.wasm").toString(),
                "--",
                "deb"),
            60);
    assertEquals("Hello from WebAssembly!\narg 1: deb\n", hello.output());

    // A long-running command: the pid we started must be the JVM of the package's image (exec, no
    // wrapper shell left behind), and killing it must leave nothing.
    Process p =
        new ProcessBuilder(
                plasm.toString(),
                "daemon",
                "--state-dir",
                state.toString(),
                "--listen",
                "127.0.0.1:0")
            .redirectErrorStream(true)
            .redirectOutput(state.resolve("log").toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(state.resolve("daemon.json"))
          && System.nanoTime() < deadline
          && p.isAlive()) {
        Thread.sleep(100);
      }
      assertTrue(
          Files.exists(state.resolve("daemon.json")), Files.readString(state.resolve("log")));
      String command = p.info().command().orElse("");
      assertEquals(root.resolve("usr/lib/plasm/bin/java").toRealPath().toString(), command);
      assertTrue(Files.readString(state.resolve("daemon.json")).contains("\"pid\": " + p.pid()));
    } finally {
      p.destroy();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the daemon did not stop on SIGTERM");
      // Its workers go with it: nothing may still run on this state directory.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (ProcessHandle.allProcesses()
          .anyMatch(h -> h.info().commandLine().orElse("").contains(state.toString()))) {
        assertTrue(System.nanoTime() < deadline, "a worker of the stopped daemon is still running");
        Thread.sleep(100);
      }
    }
  }

  @Test
  void manPageAndCompletionCoverEveryCommand() throws IOException {
    Path root = Deb.root();
    List<String> commands = new ArrayList<>();
    boolean in = false;
    for (String line :
        Deb.runOk(List.of(root.resolve("usr/bin/plasm").toString(), "--help"), 60).lines()) {
      if (line.equals("Commands:")) {
        in = true;
      } else if (in && line.matches("  [a-z][a-z-]+ .*|  [a-z][a-z-]+")) {
        commands.add(line.strip().split("\\s+")[0]);
      } else if (in && line.isBlank()) {
        in = false;
      }
    }
    assertTrue(commands.size() >= 8, "plasm --help lists the commands: " + commands);
    String man =
        Deb.runOk(List.of("sh", "-c", "zcat " + root.resolve("usr/share/man/man1/plasm.1.gz")), 10)
            .output();
    String completion =
        Files.readString(root.resolve("usr/share/bash-completion/completions/plasm"));
    for (String c : commands) {
      assertTrue(
          man.contains(".SS \"plasm " + c + "\""), "the man page has no section for plasm " + c);
      assertTrue(completion.contains(c), "the completion does not know plasm " + c);
    }
    // The man page renders without groff warnings, and bash accepts the completion.
    Deb.Result render =
        Deb.runOk(
            List.of(
                "sh",
                "-c",
                "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "
                    + root.resolve("usr/share/man/man1/plasm.1.gz")
                    + " 2>&1 >/dev/null"),
            30);
    assertEquals("", render.output().strip(), "groff warnings");
    Deb.runOk(
        List.of(
            "bash",
            "-c",
            "source "
                + root.resolve("usr/share/bash-completion/completions/plasm")
                + " && complete -p plasm"),
        10);
  }

  /** Path to {mode, owner/group, link target or ""}. */
  static Map<String, String[]> entries() {
    Map<String, String[]> m = new HashMap<>();
    for (String line : Deb.listing()) {
      Matcher x = ENTRY.matcher(line);
      assertTrue(x.matches(), "unexpected dpkg-deb -c line: " + line);
      m.put(
          x.group(4).replaceAll("/$", ""),
          new String[] {
            x.group(1), x.group(2) + "/" + x.group(3), x.group(5) == null ? "" : x.group(5)
          });
    }
    return m;
  }
}
