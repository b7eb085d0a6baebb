package dev.plasm.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.RejectionKind;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.TrapKind;
import dev.plasm.api.Usage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobJsonTests {
  static final String SHA = "a".repeat(64);

  static JobManifest parse(String json, JobJson.Source source) {
    return JobJson.manifest(json.getBytes(StandardCharsets.UTF_8), source);
  }

  static ManifestException refused(String json, JobJson.Source source) {
    return assertThrows(ManifestException.class, () -> parse(json, source));
  }

  @Test
  void aFullManifestReadsAndWritesBackTheSame() {
    String json =
        """
        {"module": "%s", "programName": "p.wasm", "args": ["a", "b"], "env": {"B": "2", "A": "1"},
         "stdinBase64": "aGk=", "limits": {"maxMemoryBytes": 65536, "timeoutMillis": 5000, "fuel": 10, "cpus": 1},
         "engine": "chicory-interpreter", "deterministic": true, "nonce": "n-1", "placement": "remote",
         "redundancy": 3, "verify": "reexecute", "idempotencyKey": "k"}
        """
            .formatted(SHA);
    JobManifest m = parse(json, JobJson.Source.HTTP);
    assertEquals(new JobManifest.ModuleSource.ByHash(SHA), m.module());
    assertEquals(List.of("a", "b"), m.args());
    assertEquals(List.of("B", "A"), List.copyOf(m.env().keySet()), "env keeps its order");
    assertArrayEquals(
        "hi".getBytes(StandardCharsets.UTF_8),
        ((JobManifest.StdinSource.Inline) m.stdin()).bytes());
    assertEquals(
        Map.of(Limit.MEMORY, 65536L, Limit.WALL_TIME, 5000L, Limit.FUEL, 10L, Limit.CPUS, 1L),
        m.limits());
    assertEquals(Placement.REMOTE, m.placement());
    assertEquals(3, m.redundancy());
    assertEquals(Verify.REEXECUTE, m.verify());
    JobManifest again =
        JobJson.manifest(
            JobJson.tree(m).toString().getBytes(StandardCharsets.UTF_8), JobJson.Source.HTTP);
    assertEquals(JobJson.tree(m), JobJson.tree(again));
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    JobManifest m = parse("{\"module\": \"" + SHA + "\"}", JobJson.Source.HTTP);
    assertEquals(JobManifest.AUTO, m.engine());
    assertEquals(Placement.ANY, m.placement());
    assertEquals(1, m.redundancy());
    assertEquals(Verify.RECEIPT, m.verify());
    assertInstanceOf(JobManifest.StdinSource.None.class, m.stdin());
    assertTrue(m.limits().isEmpty());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "string for a number|{\"module\": \"SHA\", \"limits\": {\"timeoutMillis\": \"2000\"}}|limits.timeoutMillis|must be a whole number, not a string",
        "fraction|{\"module\": \"SHA\", \"limits\": {\"timeoutMillis\": 1.5}}|limits.timeoutMillis|not a number with a fraction",
        "string for a boolean|{\"module\": \"SHA\", \"deterministic\": \"true\"}|deterministic|must be true or false, not a string",
        "number for a boolean|{\"module\": \"SHA\", \"deterministic\": 1}|deterministic|must be true or false, not a whole number",
        "number for a string|{\"module\": \"SHA\", \"programName\": 42}|programName|must be a string, not a whole number",
        "numbers in args|{\"module\": \"SHA\", \"args\": [1, 2]}|args[0]|must be a string, not a whole number",
        "null|{\"module\": \"SHA\", \"nonce\": null}|nonce|must not be null",
        "out of range|{\"module\": \"SHA\", \"limits\": {\"maxMemoryBytes\": 1000}}|limits.maxMemoryBytes|out of range",
        "not pages|{\"module\": \"SHA\", \"limits\": {\"maxMemoryBytes\": 100000}}|limits.maxMemoryBytes|64KiB pages",
        "two cpus|{\"module\": \"SHA\", \"limits\": {\"cpus\": 2}}|limits.cpus|exactly 1",
        "huge number|{\"module\": \"SHA\", \"limits\": {\"fuel\": 99999999999999999999}}|limits.fuel|out of range",
        "lone surrogate|{\"module\": \"SHA\", \"programName\": \"\\uD800x\"}|programName|unpaired surrogate",
        "bad placement|{\"module\": \"SHA\", \"placement\": \"mars\"}|placement|local, remote, any",
        "bad redundancy|{\"module\": \"SHA\", \"redundancy\": 0}|redundancy|1 to 16",
        "bad verify|{\"module\": \"SHA\", \"verify\": \"trust-me\"}|verify|receipt or reexecute",
        "bad engine|{\"module\": \"SHA\", \"engine\": \"Wasm Time\"}|engine|engine id",
        "bad sha|{\"module\": \"../etc\"}|module|not a sha256",
        "two modules|{\"module\": \"SHA\", \"moduleBase64\": \"AGFzbQ==\"}|module|exactly one",
        "bad base64|{\"moduleBase64\": \"***\"}|moduleBase64|base64",
      })
  void badValuesAreRefusedNamingTheFieldInJsonTerms(
      String name, String json, String field, String says) {
    ManifestException e = refused(json.replace("SHA", SHA), JobJson.Source.HTTP);
    assertEquals(ManifestException.Problem.INVALID_VALUE, e.problem(), e.getMessage());
    assertEquals(field, e.field(), e.getMessage());
    assertTrue(e.getMessage().contains(says), e.getMessage());
    assertTrue(e.getMessage().startsWith(field), e.getMessage());
    for (String internal : List.of("java", "Long", "Jackson", "token", "`")) {
      assertFalse(e.getMessage().contains(internal), e.getMessage());
    }
  }

  @Test
  void documentProblemsHaveTheirOwnKinds() {
    assertEquals(
        ManifestException.Problem.INVALID_JSON, refused("", JobJson.Source.HTTP).problem());
    assertEquals(
        ManifestException.Problem.INVALID_JSON, refused("[1]", JobJson.Source.HTTP).problem());
    assertEquals(
        ManifestException.Problem.INVALID_JSON,
        refused("{\"module\": ", JobJson.Source.HTTP).problem());
    assertEquals(
        ManifestException.Problem.INVALID_JSON, refused("{} {}", JobJson.Source.HTTP).problem());
    assertEquals(
        ManifestException.Problem.DUPLICATE_KEY,
        refused("{\"module\": \"" + SHA + "\", \"module\": \"" + SHA + "\"}", JobJson.Source.HTTP)
            .problem());
    ManifestException unknown =
        refused("{\"module\": \"" + SHA + "\", \"limits\": {\"memory\": 1}}", JobJson.Source.HTTP);
    assertEquals(ManifestException.Problem.UNKNOWN_FIELD, unknown.problem());
    assertEquals("limits.memory", unknown.field());
    assertEquals(
        ManifestException.Problem.TOO_COMPLEX,
        refused("{\"env\": " + "[".repeat(40) + "]".repeat(40) + "}", JobJson.Source.HTTP)
            .problem());
  }

  @Test
  void aByteOrderMarkAndInvalidUtf8AreRefused() {
    byte[] json = ("{\"module\": \"" + SHA + "\"}").getBytes(StandardCharsets.UTF_8);
    byte[] bom = new byte[json.length + 3];
    bom[0] = (byte) 0xEF;
    bom[1] = (byte) 0xBB;
    bom[2] = (byte) 0xBF;
    System.arraycopy(json, 0, bom, 3, json.length);
    ManifestException e =
        assertThrows(ManifestException.class, () -> JobJson.manifest(bom, JobJson.Source.HTTP));
    assertTrue(e.getMessage().contains("byte order mark"), e.getMessage());
    byte[] bad =
        ("{\"module\": \"" + SHA + "\", \"programName\": \"a?\"}").getBytes(StandardCharsets.UTF_8);
    bad[bad.length - 3] = (byte) 0xC3;
    ManifestException u =
        assertThrows(ManifestException.class, () -> JobJson.manifest(bad, JobJson.Source.HTTP));
    assertTrue(u.getMessage().contains("UTF-8"), u.getMessage());
  }

  @Test
  void pathsAreForManifestFilesAndPeersSendOnlyWhatAPeerMay() {
    assertEquals(
        new JobManifest.ModuleSource.ByPath("hello.wasm"),
        parse("{\"modulePath\": \"hello.wasm\", \"stdinPath\": \"in.txt\"}", JobJson.Source.FILE)
            .module());
    assertEquals(
        ManifestException.Problem.UNKNOWN_FIELD,
        refused("{\"modulePath\": \"x.wasm\"}", JobJson.Source.HTTP).problem());
    assertEquals(
        ManifestException.Problem.UNKNOWN_FIELD,
        refused("{\"module\": \"" + SHA + "\", \"placement\": \"local\"}", JobJson.Source.PEER)
            .problem());
    assertEquals(
        ManifestException.Problem.UNKNOWN_FIELD,
        refused("{\"moduleBase64\": \"AGFzbQ==\"}", JobJson.Source.PEER).problem());
  }

  private static JobPlan plan() {
    return new JobPlan(
        SHA,
        42,
        "x.wasm",
        List.of("a"),
        Map.of("K", "V"),
        3,
        new JobPlan.Engine("wasmtime", "7.0.1"),
        ResourceLimits.DEFAULTS.withFuel(OptionalLong.of(99)),
        true,
        "n");
  }

  @Test
  void plansRoundTrip() {
    JobPlan p = plan();
    assertEquals(p, JobJson.plan(JobJson.tree(p)));
  }

  @Test
  void aPlanSentElsewhereAsksForAnEngineAndTakesTheOneThatRanIt() {
    JobPlan ran = plan();
    assertTrue(ran.engine().chosen());
    JobPlan asked = ran.ranWith(JobPlan.Engine.asked("auto"), ResourceLimits.DEFAULTS);
    assertEquals(new JobPlan.Engine("auto", ""), asked.engine());
    assertFalse(asked.engine().chosen());
    assertEquals(ResourceLimits.DEFAULTS, asked.limits());
    assertEquals(asked, JobJson.plan(JobJson.tree(asked)));
    // Everything but the engine and the limits is the job as it was.
    assertEquals(ran, asked.ranWith(ran.engine(), ran.limits()));
  }

  @Test
  void everyOutcomeRoundTripsWithItsUsage() {
    Usage u = new Usage(Duration.ofMillis(12), 3, OptionalLong.of(7), 10, 20);
    for (ExecutionOutcome o :
        List.of(
            new ExecutionOutcome.Completed(3, u),
            new ExecutionOutcome.Trapped(TrapKind.UNREACHABLE, "boom", u),
            new ExecutionOutcome.LimitExceeded(Limit.WALL_TIME, "late", u),
            new ExecutionOutcome.Rejected(RejectionKind.MALFORMED, "bad"),
            new ExecutionOutcome.Failed("bug", u),
            new ExecutionOutcome.Cancelled("by a client", u),
            new ExecutionOutcome.Interrupted("shutdown", u))) {
      Usage read = JobJson.usage(JobJson.usage(o.usage()), "usage");
      assertEquals(o, JobJson.outcome(JobJson.outcome(o), read, "outcome"));
    }
  }
}
