package dev.plasm.daemon.internal.http;

import dev.plasm.daemon.internal.httpd.Request;
import dev.plasm.daemon.internal.httpd.Response;
import dev.plasm.daemon.internal.store.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * One API request and its answer, with the checks and replies every endpoint shares: methods,
 * query parameters, content types, bounded bodies, JSON and file responses.
 */
final class Exchange {
  private final Request request;
  private final Response response;
  private final Semaphore bodyBudget;
  private int heldKib;
  private Map<String, String> query;

  /**
   * @param bodyBudget KiB of request bodies that may be held in memory at once, across requests
   */
  Exchange(Request request, Response response, Semaphore bodyBudget) {
    this.request = request;
    this.response = response;
    this.bodyBudget = bodyBudget;
  }

  /** Gives back the share of the body budget this exchange held. */
  void release() {
    if (heldKib > 0) {
      bodyBudget.release(heldKib);
      heldKib = 0;
    }
  }

  String method() {
    return request.method();
  }

  String path() {
    return request.path();
  }

  String header(String name) {
    return request.headers().first(name);
  }

  Request request() {
    return request;
  }

  /** Refuses a method not in {@code allowed} with 405 and {@code Allow}. */
  void allow(String... allowed) {
    for (String a : allowed) {
      if (a.equals(request.method())) {
        return;
      }
    }
    throw new ApiException(
        405,
        "method-not-allowed",
        null,
        request.method() + " is not allowed here; use " + String.join(" or ", allowed),
        Map.of("Allow", String.join(", ", allowed)));
  }

  /** The query parameters, decoded; a parameter given twice is a 400. */
  Map<String, String> query() {
    if (query != null) {
      return query;
    }
    Map<String, String> q = new LinkedHashMap<>();
    String raw = request.query();
    if (raw != null && !raw.isEmpty()) {
      for (String part : raw.split("&")) {
        int eq = part.indexOf('=');
        String k = decode(eq < 0 ? part : part.substring(0, eq));
        String v = eq < 0 ? "" : decode(part.substring(eq + 1));
        if (q.put(k, v) != null) {
          throw ApiException.badRequest(
              "invalid-value", k, "query parameter '" + k + "' is given twice");
        }
      }
    }
    return query = q;
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(
          "invalid-value", null, "the query has a malformed percent-escape");
    }
  }

  /** Refuses query parameters not in {@code allowed}. */
  Map<String, String> onlyParams(Set<String> allowed) {
    for (String k : query().keySet()) {
      if (!allowed.contains(k)) {
        throw ApiException.badRequest("unknown-field", k, "unknown query parameter '" + k + "'");
      }
    }
    return query();
  }

  /** True when the request carries a body (a Content-Length over 0, or chunked). */
  boolean hasBody() {
    return request.contentLength() != 0;
  }

  /**
   * Refuses (415) a body whose Content-Type is not one of {@code types} (parameters such as
   * {@code charset=utf-8} allowed). A request without a body passes.
   */
  void contentType(String... types) {
    if (!hasBody()) {
      return;
    }
    String ct = header("Content-Type");
    String media = ct == null ? "" : ct.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    for (String t : types) {
      if (t.equals(media)) {
        if (t.equals("application/json") && ct.contains(";")) {
          String params = ct.split(";", 2)[1].strip().toLowerCase(Locale.ROOT).replace(" ", "");
          if (!params.isEmpty() && !params.equals("charset=utf-8")) {
            throw new ApiException(
                415,
                "unsupported-media-type",
                "Content-Type",
                "JSON bodies must be UTF-8; send 'Content-Type: application/json'");
          }
        }
        return;
      }
    }
    throw new ApiException(
        415,
        "unsupported-media-type",
        "Content-Type",
        (ct == null
                ? "the request has no Content-Type"
                : "Content-Type '" + ct + "' is not accepted here")
            + "; send 'Content-Type: "
            + String.join("' or '", types)
            + "'");
  }

  /** The body, at most {@code max} bytes: refused from its Content-Length before reading, or while reading. */
  byte[] body(long max) throws IOException {
    long declared = request.contentLength();
    if (declared > max) {
      throw new ApiException(
          413,
          "payload-too-large",
          null,
          "the body is " + declared + " bytes; at most " + max + " are accepted");
    }
    // Bodies held in memory at once are bounded (daemon.heap / 4): a flood of large requests gets
    // 503 instead of the heap. A chunked body is counted at the most it may be.
    int kib = (int) Math.min(Integer.MAX_VALUE, ((declared >= 0 ? declared : max) + 1023) / 1024);
    if (!bodyBudget.tryAcquire(kib)) {
      throw new ApiException(
          503,
          "server-busy",
          null,
          "the daemon is reading too many request bodies at once (daemon.heap / 4); retry shortly",
          Map.of("Retry-After", "1"));
    }
    heldKib += kib;
    InputStream in = request.body();
    ByteArrayOutputStream out =
        new ByteArrayOutputStream((int) Math.min(Math.max(declared, 0), 1 << 16));
    byte[] buf = new byte[16384];
    long n = 0;
    int r;
    while ((r = in.read(buf)) >= 0) {
      n += r;
      if (n > max) {
        throw new ApiException(
            413, "payload-too-large", null, "the body is over " + max + " bytes");
      }
      out.write(buf, 0, r);
    }
    return out.toByteArray();
  }

  /** Sets a response header. */
  Exchange responseHeader(String name, String value) {
    response.header(name, value);
    return this;
  }

  void closeAfter() {
    response.closeAfter();
  }

  void json(int status, Object body) throws IOException {
    bytes(status, "application/json", Json.MAPPER.writeValueAsBytes(body));
  }

  void bytes(int status, String type, byte[] bytes) throws IOException {
    common(type);
    response.send(status, null, bytes);
  }

  private void common(String type) {
    response.header("Content-Type", type);
    response.header("Cache-Control", "no-store");
    response.header("X-Content-Type-Options", "nosniff");
  }

  /**
   * Sends {@code length} bytes of {@code file} from {@code offset}: exactly what was there when the
   * headers went out (a running job's output grows; a file that shrank is padded, never short).
   */
  void file(int status, String type, Path file, long offset, long length) throws IOException {
    common(type);
    OutputStream out = response.start(status, length);
    if (length == 0 || request.method().equals("HEAD")) {
      return;
    }
    try (FileChannel ch = FileChannel.open(file)) {
      ch.position(offset);
      InputStream in = Channels.newInputStream(ch);
      byte[] buf = new byte[65536];
      long left = length;
      int r;
      while (left > 0 && (r = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
        out.write(buf, 0, r);
        left -= r;
      }
      while (left > 0) {
        int n = (int) Math.min(buf.length, left);
        java.util.Arrays.fill(buf, 0, n, (byte) 0);
        out.write(buf, 0, n);
        left -= n;
      }
    }
  }

  /** A whole file, or 404 naming {@code field} with {@code missing} when it is not there. */
  void file(String type, Path file, String field, String missing) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw ApiException.notFound(field, missing);
    }
    file(200, type, file, 0, Files.size(file));
  }
}
