package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Receipts through the real CLI: issue with {@code run --receipt}, check with {@code receipt verify}. */
class ReceiptCommandTests {
  @TempDir Path tmp;
  Map<String, String> env;
  String peerId;

  @BeforeEach
  void identity() {
    env = Map.of("PLASM_HOME", tmp.resolve("home").toString());
    var r = Cli.run(new byte[0], env, "identity", "show", "--json");
    assertEquals(0, r.exitCode(), r::toString);
    peerId = r.out().replaceAll("(?s).*\"peerId\" : \"([^\"]+)\".*", "$1");
    assertTrue(peerId.startsWith("12D3KooW"), r.out());
  }

  private Cli.Result plasm(String... args) {
    return Cli.run(new byte[0], env, args);
  }

  @Test
  void identityShowPrintsThePeerIdAndKeepsTheKeyPrivate() throws Exception {
    var r = plasm("identity", "show");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().contains("peer id:    " + peerId), r.out());
    assertEquals(
        "rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(tmp.resolve("home/identity.key"))));
  }

  @ParameterizedTest
  @CsvSource({"chicory-interpreter,chicory-compiler", "chicory-compiler,chicory-interpreter"})
  void aHelloReceiptVerifiesAndReExecutesOnTheOtherEngine(String runOn, String replayOn)
      throws Exception {
    Path receipt = tmp.resolve("r.json");
    var run =
        plasm(
            "run",
            "--engine",
            runOn,
            "--receipt",
            receipt.toString(),
            "--nonce",
            "n-123",
            Fixture.hello().toString(),
            "--",
            "x");
    assertEquals(0, run.exitCode(), run::toString);
    Path out = Files.write(tmp.resolve("out.txt"), run.outBytes());
    var v =
        plasm(
            "receipt",
            "verify",
            receipt.toString(),
            "--trust",
            peerId,
            "--module",
            Fixture.hello().toString(),
            "--stdout",
            out.toString(),
            "--nonce",
            "n-123",
            "--reexecute",
            "--engine",
            replayOn,
            "--",
            "x");
    assertEquals(0, v.exitCode(), v::toString);
    assertTrue(
        v.out()
            .contains(
                "ok   reexecution-outcome    on " + replayOn + ": completed with exit code 0"),
        v.out());
    assertTrue(v.out().contains("VALID"), v.out());
  }

  @Test
  void withoutTrustAReceiptIsAuthenticButNotTrusted() {
    Path receipt = tmp.resolve("r.json");
    assertEquals(
        0, plasm("run", "--receipt", receipt.toString(), Fixture.hello().toString()).exitCode());
    var v = plasm("receipt", "verify", receipt.toString());
    assertEquals(ExitCodes.RECEIPT_UNTRUSTED, v.exitCode(), v::toString);
    assertTrue(v.out().contains("FAIL trust"), v.out());
    var other =
        plasm(
            "receipt",
            "verify",
            receipt.toString(),
            "--trust",
            "12D3KooWMcRaLtkCAG8vQEPJhV7E8K5F3tSzgkp4nb46NtivgJBd");
    assertEquals(ExitCodes.RECEIPT_UNTRUSTED, other.exitCode(), other::toString);
  }

  @Test
  void eachMismatchIsNamed() throws Exception {
    Path receipt = tmp.resolve("r.json");
    assertEquals(
        0,
        plasm(
                "run",
                "--receipt",
                receipt.toString(),
                "--job-id",
                "job-7",
                Fixture.hello().toString())
            .exitCode());
    Path wrongOut = Files.writeString(tmp.resolve("wrong.txt"), "Hello from somewhere else\n");
    var v =
        plasm(
            "receipt",
            "verify",
            receipt.toString(),
            "--trust",
            peerId,
            "--stdout",
            wrongOut.toString(),
            "--module",
            Fixture.path("probe", tmp),
            "--job-id",
            "job-8");
    assertEquals(ExitCodes.RECEIPT_INVALID, v.exitCode(), v::toString);
    assertTrue(v.out().contains("FAIL stdout"), v.out());
    assertTrue(v.out().contains("FAIL module"), v.out());
    assertTrue(
        v.out().contains("FAIL job-id                 the receipt is for job job-7, not job-8"),
        v.out());
  }

  @Test
  void aTamperedReceiptFailsItsSignature() throws Exception {
    Path receipt = tmp.resolve("r.json");
    assertEquals(
        0, plasm("run", "--receipt", receipt.toString(), Fixture.hello().toString()).exitCode());
    String text = Files.readString(receipt).replaceFirst("\"exitCode\" : 0", "\"exitCode\" : 1");
    Files.writeString(receipt, text);
    var v = plasm("receipt", "verify", receipt.toString(), "--trust", peerId, "--json");
    assertEquals(ExitCodes.RECEIPT_INVALID, v.exitCode(), v::toString);
    assertTrue(v.out().contains("\"name\" : \"signature\",\n    \"passed\" : false"), v.out());
    Files.writeString(receipt, "{\"version\": 1, \"version\": 1}");
    var m = plasm("receipt", "verify", receipt.toString());
    assertEquals(ExitCodes.RECEIPT_MALFORMED, m.exitCode(), m::toString);
    assertTrue(m.out().contains("duplicate key"), m.out());
  }

  @Test
  void aDeterministicRunReExecutesExactlyWhileARandomOneDoesNot() {
    String probe = Fixture.path("probe", tmp);
    Path det = tmp.resolve("det.json");
    var run = plasm("run", "--deterministic", "--receipt", det.toString(), probe, "random", "16");
    assertEquals(0, run.exitCode(), run::toString);
    var again =
        plasm(
            "receipt",
            "verify",
            det.toString(),
            "--trust",
            peerId,
            "--module",
            probe,
            "--reexecute",
            "--engine",
            "chicory-compiler",
            "--",
            "random",
            "16");
    assertEquals(0, again.exitCode(), again::toString);

    Path loose = tmp.resolve("loose.json");
    assertEquals(0, plasm("run", "--receipt", loose.toString(), probe, "random", "16").exitCode());
    var differs =
        plasm(
            "receipt",
            "verify",
            loose.toString(),
            "--trust",
            peerId,
            "--module",
            probe,
            "--reexecute",
            "--",
            "random",
            "16");
    assertEquals(ExitCodes.RECEIPT_REEXECUTION_MISMATCH, differs.exitCode(), differs::toString);
    assertTrue(differs.out().contains("FAIL reexecution-stdout"), differs.out());
  }

  @Test
  void reExecutionRefusesInputsThatDoNotMatchTheReceipt() {
    Path receipt = tmp.resolve("r.json");
    assertEquals(
        0,
        plasm(
                "run",
                "--receipt",
                receipt.toString(),
                "--env",
                "A=1",
                Fixture.hello().toString(),
                "--",
                "x")
            .exitCode());
    var v =
        plasm(
            "receipt",
            "verify",
            receipt.toString(),
            "--trust",
            peerId,
            "--module",
            Fixture.hello().toString(),
            "--reexecute",
            "--",
            "y");
    assertEquals(ExitCodes.RECEIPT_REEXECUTION_MISMATCH, v.exitCode(), v::toString);
    assertTrue(
        v.out().contains("FAIL reexecution-args") && v.out().contains("FAIL reexecution-env"),
        v.out());
    var noModule = plasm("receipt", "verify", receipt.toString(), "--reexecute");
    assertEquals(ExitCodes.USAGE, noModule.exitCode());
    assertTrue(noModule.err().contains("--reexecute needs the module"), noModule::toString);
  }

  @Test
  void failedJobsGetReceiptsToo() {
    Path receipt = tmp.resolve("trap.json");
    var r =
        plasm(
            "run",
            "--json",
            "--receipt",
            receipt.toString(),
            Fixture.path("trap-unreachable", tmp));
    assertEquals(ExitCodes.TRAP, r.exitCode());
    assertTrue(
        r.out().contains("\"receipt\" : {") && r.out().contains("\"detail\" : \"unreachable\""),
        r.out());
    assertEquals(
        ExitCodes.RECEIPT_UNTRUSTED, plasm("receipt", "verify", receipt.toString()).exitCode());
  }

  @Test
  void missingFilesAreNoInputNamingTheFile() {
    var r = plasm("receipt", "verify", tmp.resolve("nope.json").toString());
    assertEquals(ExitCodes.NO_INPUT, r.exitCode(), r::toString);
    assertTrue(r.err().contains("nope.json: no such file"), r::toString);
    Path receipt = tmp.resolve("r.json");
    assertEquals(
        0, plasm("run", "--receipt", receipt.toString(), Fixture.hello().toString()).exitCode());
    var m =
        plasm(
            "receipt",
            "verify",
            receipt.toString(),
            "--module",
            tmp.resolve("gone.wasm").toString());
    assertEquals(ExitCodes.NO_INPUT, m.exitCode(), m::toString);
    assertTrue(m.err().contains("gone.wasm: no such file"), m::toString);
  }

  @Test
  void badIdsAreUsageErrors() {
    var r =
        plasm(
            "run",
            "--receipt",
            tmp.resolve("r.json").toString(),
            "--nonce",
            "has spaces",
            Fixture.hello().toString());
    assertEquals(ExitCodes.USAGE, r.exitCode());
    assertTrue(r.err().contains("--nonce: 'has spaces' must be"), r::toString);
    assertFalse(Files.exists(tmp.resolve("r.json")));
  }
}
