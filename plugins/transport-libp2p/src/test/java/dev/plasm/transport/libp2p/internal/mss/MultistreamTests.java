package dev.plasm.transport.libp2p.internal.mss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.ProtocolNotSupportedException;
import dev.plasm.transport.libp2p.testing.SocketPair;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** multistream-select, byte-exact and dialer against listener over loopback TCP. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MultistreamTests {
  @Test
  void dialerPipelinesHeaderAndFirstProposalInOneWrite() throws Exception {
    // What js-libp2p's listener sends back for /noise: its header, then the echo.
    ByteArrayOutputStream reply = new ByteArrayOutputStream();
    Multistream.encode(Multistream.PROTOCOL_ID, reply);
    Multistream.encode("/noise", reply);
    var writes = new java.util.ArrayList<byte[]>();
    var out =
        new java.io.OutputStream() {
          @Override
          public void write(int b) {
            writes.add(new byte[] {(byte) b});
          }

          @Override
          public void write(byte[] b, int off, int len) {
            writes.add(java.util.Arrays.copyOfRange(b, off, off + len));
          }
        };
    assertEquals(
        "/noise",
        Multistream.select(new ByteArrayInputStream(reply.toByteArray()), out, List.of("/noise")));
    assertEquals(1, writes.size(), "header and proposal must be a single write");
    assertEquals(
        "132f6d756c746973747265616d2f312e302e300a072f6e6f6973650a",
        HexFormat.of().formatHex(writes.getFirst()));
  }

  @Test
  void listenerSaysNaThenAcceptsAndKeepsEarlyData() throws Exception {
    try (SocketPair p = SocketPair.open()) {
      // A dialer that pipelines two proposals and early data without waiting for answers.
      ByteArrayOutputStream dialer = new ByteArrayOutputStream();
      Multistream.encode(Multistream.PROTOCOL_ID, dialer);
      Multistream.encode("/unknown/1.0.0", dialer);
      Multistream.encode("/echo/1.0.0", dialer);
      dialer.writeBytes("early data".getBytes(StandardCharsets.UTF_8));
      p.client().getOutputStream().write(dialer.toByteArray());

      InputStream serverIn = new BufferedInputStream(p.server().getInputStream());
      String chosen =
          Multistream.handle(
              serverIn, p.server().getOutputStream(), Set.of("/echo/1.0.0")::contains);
      assertEquals("/echo/1.0.0", chosen);
      assertArrayEquals("early data".getBytes(StandardCharsets.UTF_8), serverIn.readNBytes(10));

      InputStream clientIn = p.client().getInputStream();
      assertEquals(Multistream.PROTOCOL_ID, Multistream.readMessage(clientIn));
      assertEquals("na", Multistream.readMessage(clientIn));
      assertEquals("/echo/1.0.0", Multistream.readMessage(clientIn));
    }
  }

  @Test
  void dialerFallsBackToItsNextProposal() throws Exception {
    try (SocketPair p = SocketPair.open()) {
      var listener =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return Multistream.handle(
                      p.server().getInputStream(), p.server().getOutputStream(), "/b"::equals);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      String chosen =
          Multistream.select(
              p.client().getInputStream(), p.client().getOutputStream(), List.of("/a", "/b", "/c"));
      assertEquals("/b", chosen);
      assertEquals("/b", listener.get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void dialerReportsWhenNothingIsSupported() throws Exception {
    try (SocketPair p = SocketPair.open()) {
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  Multistream.handle(
                      p.server().getInputStream(), p.server().getOutputStream(), s -> false);
                } catch (Exception ignored) {
                  // The dialer gives up and closes.
                }
              });
      var e =
          assertThrows(
              ProtocolNotSupportedException.class,
              () ->
                  Multistream.select(
                      p.client().getInputStream(),
                      p.client().getOutputStream(),
                      List.of("/x", "/y")));
      assertEquals(List.of("/x", "/y"), e.proposed());
    }
  }

  @Test
  void malformedMessagesAreRefused() throws Exception {
    assertThrows(
        MalformedMessageException.class,
        () -> Multistream.readMessage(in("032f6161"))); // no newline: "/aa"
    assertThrows(MalformedMessageException.class, () -> Multistream.readMessage(in("00")));
    assertThrows(
        MalformedMessageException.class, () -> Multistream.readMessage(in("8108"))); // 1025 bytes
    assertThrows(
        MalformedMessageException.class,
        () -> Multistream.readMessage(in("03ff fe0a".replace(" ", "")))); // not UTF-8
    assertThrows(EOFException.class, () -> Multistream.readMessage(in("052f61")));
    assertThrows(EOFException.class, () -> Multistream.readMessage(in("")));
    // A listener refuses a wrong header.
    ByteArrayOutputStream wrong = new ByteArrayOutputStream();
    Multistream.encode("/multistream/2.0.0", wrong);
    Multistream.encode("/a", wrong);
    var e =
        assertThrows(
            MalformedMessageException.class,
            () ->
                Multistream.handle(
                    new ByteArrayInputStream(wrong.toByteArray()),
                    new ByteArrayOutputStream(),
                    s -> true));
    assertTrue(e.getMessage().contains("/multistream/2.0.0"));
    assertThrows(
        IllegalArgumentException.class,
        () -> Multistream.encode("/" + "x".repeat(1023), new ByteArrayOutputStream()));
    assertEquals("/" + "x".repeat(1022), roundTrip("/" + "x".repeat(1022)));
  }

  @Test
  void listenerGivesUpOnEndlessProposals() {
    ByteArrayOutputStream dialer = new ByteArrayOutputStream();
    Multistream.encode(Multistream.PROTOCOL_ID, dialer);
    for (int i = 0; i < Multistream.MAX_PROPOSALS + 5; i++) {
      Multistream.encode("/p/" + i, dialer);
    }
    assertThrows(
        MalformedMessageException.class,
        () ->
            Multistream.handle(
                new ByteArrayInputStream(dialer.toByteArray()),
                new ByteArrayOutputStream(),
                s -> false));
  }

  private static String roundTrip(String s) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Multistream.writeMessage(s, out);
    return Multistream.readMessage(new ByteArrayInputStream(out.toByteArray()));
  }

  private static ByteArrayInputStream in(String hex) {
    return new ByteArrayInputStream(HexFormat.of().parseHex(hex));
  }
}
