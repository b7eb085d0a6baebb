package dev.plasm.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** plasmd.service as packaged: systemd-analyze verify and security, and the settings the issue asks for. */
class ServiceUnitTests {
  static final double EXPOSURE_TARGET = 2.0;

  static Path unit() {
    return Deb.root().resolve("lib/systemd/system/plasmd.service");
  }

  @Test
  void systemdAcceptsTheUnit() throws IOException {
    Deb.require("systemd-analyze", "systemd");
    // verify checks that ExecStart's program exists; /usr/bin/plasm is only there once installed
    // (install-test.sh verifies the installed unit). Here it points at the package's own launcher,
    // and nothing else changes.
    String text = Files.readString(unit());
    String launcher = Deb.root().resolve("usr/bin/plasm").toString();
    Path copy = Deb.TARGET.resolve("verify/plasmd.service");
    Files.createDirectories(copy.getParent());
    Files.writeString(
        copy, text.replace("ExecStart=/usr/bin/plasm ", "ExecStart=" + launcher + " "));
    assertEquals(1, countOf(text, "ExecStart=/usr/bin/plasm "));
    Deb.Result r = Deb.run(List.of("systemd-analyze", "verify", "--man=no", copy.toString()), 60);
    assertEquals(0, r.code(), r.output());
    assertEquals("", r.output().strip(), "systemd-analyze verify warnings");
  }

  @Test
  void exposureIsAtMostTheTargetAndEverySettingNotTakenSaysWhy() throws IOException {
    Deb.require("systemd-analyze", "systemd");
    Deb.Result r =
        Deb.run(
            List.of(
                "systemd-analyze", "security", "--offline=true", "--no-pager", unit().toString()),
            60);
    Matcher m =
        Pattern.compile("Overall exposure level for plasmd.service: ([0-9.]+)").matcher(r.output());
    assertTrue(m.find(), r.output());
    double exposure = Double.parseDouble(m.group(1));
    assertTrue(
        exposure <= EXPOSURE_TARGET,
        "exposure " + exposure + " > " + EXPOSURE_TARGET + ":\n" + r.output());

    // Each check systemd-analyze marks as not met must be explained in a comment of the unit.
    String comments =
        String.join(
            "\n", Files.readAllLines(unit()).stream().filter(l -> l.startsWith("#")).toList());
    List<String> unexplained = new ArrayList<>();
    for (String line : r.lines()) {
      if (!line.startsWith("✗")) {
        continue;
      }
      String setting = line.substring(1).strip().split("\\s+")[0];
      // "RestrictAddressFamilies=~AF_(INET|INET6)" -> the setting and the families it names
      String name = setting.split("=")[0];
      List<String> words = new ArrayList<>(List.of(name.split("/")));
      Matcher families = Pattern.compile("AF_[A-Z0-9]+|AF_\\(([A-Z0-9|]+)\\)").matcher(setting);
      while (families.find()) {
        words.add(
            families.group(1) == null
                ? families.group()
                : "AF_" + families.group(1).split("\\|")[0]);
      }
      if (words.stream()
          .noneMatch(
              w ->
                  w.startsWith("AF_")
                      ? comments.contains(w)
                      : comments.contains(w.replace("=", "")))) {
        unexplained.add(setting);
      }
    }
    assertTrue(
        unexplained.isEmpty(),
        "settings not taken without a reason in a comment of plasmd.service: " + unexplained);
  }

  @Test
  void theUnitRunsTheDaemonAsAServiceUser() throws IOException {
    List<String> lines = Files.readAllLines(unit());
    for (String required :
        List.of(
            "ExecStart=/usr/bin/plasm daemon --config /etc/plasm/plasmd.toml",
            "User=plasm",
            "Group=plasm",
            "StateDirectory=plasm",
            "StateDirectoryMode=0700",
            "Restart=on-failure",
            "KillMode=mixed",
            "NoNewPrivileges=yes",
            "PrivateTmp=yes",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "CapabilityBoundingSet=",
            "SystemCallFilter=@system-service",
            "PrivateDevices=yes",
            "ProtectKernelTunables=yes",
            "ProtectKernelModules=yes",
            "ProtectControlGroups=yes",
            "RestrictNamespaces=yes",
            "LockPersonality=yes",
            "UMask=0077",
            "StandardError=journal",
            "WantedBy=multi-user.target")) {
      assertTrue(lines.contains(required), "plasmd.service lacks " + required);
    }
    // A graceful stop must fit: systemd's stop timeout above the daemon's default shutdown grace
    // (10s).
    String timeout =
        lines.stream().filter(l -> l.startsWith("TimeoutStopSec=")).findFirst().orElseThrow();
    assertTrue(Integer.parseInt(timeout.replaceAll("\\D", "")) > 10, timeout);
    // The conffile names the same state directory as the unit.
    assertTrue(
        Files.readAllLines(Deb.root().resolve("etc/plasm/plasmd.toml"))
            .contains("state-dir = \"/var/lib/plasm\""));
  }

  static int countOf(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }
}
