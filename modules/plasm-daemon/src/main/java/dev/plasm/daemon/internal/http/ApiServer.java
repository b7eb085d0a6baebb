package dev.plasm.daemon.internal.http;

import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.exec.Intake;
import dev.plasm.daemon.internal.exec.JobRunner;
import dev.plasm.daemon.internal.exec.Metrics;
import dev.plasm.daemon.internal.httpd.HttpError;
import dev.plasm.daemon.internal.httpd.HttpServer;
import dev.plasm.daemon.internal.httpd.Request;
import dev.plasm.daemon.internal.httpd.Response;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.p2p.P2pNode;
import dev.plasm.daemon.internal.remote.RemoteNode;
import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.host.Admission;
import dev.plasm.host.EngineRegistry;
import dev.plasm.identity.NodeIdentity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Semaphore;
import tools.jackson.databind.node.ObjectNode;

/**
 * The HTTP API (docs/http-api.md): routes requests to the endpoint classes after the checks every
 * request passes, in this order: Host header, bearer token (all paths but {@code /healthz}), route
 * and method, content type, body size (from Content-Length before reading, then while reading),
 * strict JSON. The HTTP protocol itself, and its bounds, are {@link HttpServer}'s.
 */
public final class ApiServer {
  private final DaemonConfig config;
  private final String token;
  private final Log log;
  private final Metrics metrics;
  private final P2pRoutes p2p = new P2pRoutes();
  private final NodeRoutes node;
  private final ModuleRoutes modules;
  private final JobRoutes jobs;
  private final Semaphore bodyBudget;
  private HttpServer server;
  private Access access;

  public ApiServer(
      DaemonConfig config,
      JobStore store,
      ModuleStore modules,
      JobRunner runner,
      Metrics metrics,
      EngineRegistry registry,
      NodeIdentity identity,
      Intake intake,
      String token,
      Log log,
      String version) {
    this.config = config;
    this.token = token;
    this.log = log;
    this.metrics = metrics;
    this.bodyBudget = new Semaphore((int) Math.min(Integer.MAX_VALUE, config.heap() / 4 / 1024));
    this.node = new NodeRoutes(config, runner, metrics, registry, identity, version, p2p);
    this.modules = new ModuleRoutes(config, modules, () -> remote);
    this.jobs =
        new JobRoutes(
            config,
            store,
            runner,
            new Submissions(
                config,
                modules,
                intake,
                new Admission(registry, Admission.Policy.local(config.limits())),
                () -> remote,
                identity.peerId().toString()));
  }

  private volatile RemoteNode remote;

  /** The peer-to-peer node the p2p endpoints use; null (the default) when p2p is off. */
  public void p2p(P2pNode n, RemoteNode r) {
    p2p.node(n);
    p2p.remote(r);
    this.remote = r;
  }

  /** Binds and starts serving; returns the bound address. */
  public InetSocketAddress start() throws IOException {
    DaemonConfig.Api a = config.api();
    InetSocketAddress bind =
        new InetSocketAddress(InetAddress.getByName(a.listenHost()), a.listenPort());
    HttpServer.Settings settings =
        new HttpServer.Settings(
            a.maxConnections(),
            a.requestTimeout(),
            a.exchangeTimeout(),
            a.requestTimeout(),
            8192,
            64 * 1024,
            100);
    server =
        HttpServer.start(
            bind,
            128,
            settings,
            new Handler(),
            new HttpServer.Events() {
              @Override
              public void connectionRefused(InetSocketAddress remote, String why) {
                log.warn("connection refused", "remote", remote, "why", why);
              }

              @Override
              public void requestFailed(String target, Exception e) {
                log.error("request failed", "target", target, "error", e.toString());
              }
            });
    InetSocketAddress bound = server.address();
    access = new Access(token, a.listenHost(), bound);
    metrics.http(server::openConnections, server::refusedConnections, server::timedOutConnections);
    return bound;
  }

  public void stop() {
    if (server != null) {
      server.close();
    }
  }

  private final class Handler implements HttpServer.Handler {
    @Override
    public void handle(Request request, Response response) throws IOException {
      Exchange ex = new Exchange(request, response, bodyBudget);
      try {
        route(ex);
      } catch (ApiException e) {
        error(ex, response, e);
      } catch (AtomicFiles.TooLargeException e) {
        error(
            ex,
            response,
            new ApiException(
                413, "payload-too-large", null, "the body is larger than " + e.max() + " bytes"));
      } catch (HttpError e) {
        throw e; // the server answers protocol errors (and closes the connection)
      } catch (RuntimeException e) {
        log.error("internal error", "path", request.path(), "error", e.toString());
        error(
            ex,
            response,
            new ApiException(500, "internal", null, "internal error (see the daemon's log)"));
      } finally {
        ex.release();
      }
    }

    @Override
    public byte[] errorBody(int status, String code, String field, String message) {
      return Json.MAPPER.writeValueAsBytes(errorTree(code, field, message));
    }
  }

  private void route(Exchange ex) throws IOException {
    String path = ex.path();
    access.checkHost(ex);
    if (path.equals("/healthz")) {
      NodeRoutes.healthz(ex);
      return;
    }
    access.checkToken(ex);
    switch (path) {
      case "/metrics" -> node.metrics(ex);
      case "/v1/node" -> node.node(ex);
      case "/v1/modules" -> modules.upload(ex);
      case "/v1/jobs" -> jobs.jobs(ex);
      default -> {
        if (path.startsWith("/v1/modules/")) {
          modules.get(ex, path.substring("/v1/modules/".length()));
        } else if (!jobs.job(ex) && !p2p.handle(ex)) {
          throw ApiException.notFound(
              null, "no such endpoint: " + path + " (see docs/http-api.md)");
        }
      }
    }
  }

  private static ObjectNode errorTree(String code, String field, String message) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode err = root.putObject("error");
    err.put("code", code);
    err.put("message", message);
    if (field != null) {
      err.put("field", field);
    }
    return root;
  }

  private static void error(Exchange ex, Response response, ApiException e) throws IOException {
    if (response.committed()) {
      throw new IOException("an error after the response started: " + e.getMessage());
    }
    e.headers().forEach(ex::responseHeader);
    if (e.status() == 413 || e.status() == 421 || e.status() == 415) {
      // Do not read (or wait for) a body we refused.
      ex.closeAfter();
    }
    ex.json(e.status(), errorTree(e.code(), e.field(), e.getMessage()));
  }
}
