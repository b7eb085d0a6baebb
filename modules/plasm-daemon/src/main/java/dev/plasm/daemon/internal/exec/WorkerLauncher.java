package dev.plasm.daemon.internal.exec;

import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.worker.WorkerMain;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts worker processes: a JVM from this runtime, with this process's module or class path, a
 * heap sized for the node's memory limit, and the image's native libraries.
 */
final class WorkerLauncher {
  private final DaemonConfig config;
  private final Path stateDir;

  WorkerLauncher(DaemonConfig config, Path stateDir) {
    this.config = config;
    this.stateDir = stateDir;
  }

  /** Starts a worker whose stderr goes to {@code STATE/logs/worker-N.log}. */
  WorkerProcess start(int executor) throws IOException {
    long heapMiB = DaemonConfig.workerHeapMiB(config.limits().maxMemoryBytes());
    return WorkerProcess.start(
        command(heapMiB),
        stateDir.resolve("logs").resolve("worker-" + executor + ".log"),
        config.limits().maxOutputBytes());
  }

  /** The command that starts a worker: this runtime's java, with this process's module or class path. */
  List<String> command(long heapMiB) {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("-Xmx" + heapMiB + "m");
    // The default initial heap (1/64 of the machine's memory) makes a young generation that large,
    // all of it resident in every idle warm worker; start small and grow with the job.
    cmd.add("-Xms16m");
    cmd.add("-XX:+UseSerialGC");
    // Give memory back after a large job (the worker collects once idle), so an idle warm worker
    // stays small.
    cmd.add("-XX:MinHeapFreeRatio=10");
    cmd.add("-XX:MaxHeapFreeRatio=30");
    // The serial collector shrinks the heap in steps over consecutive full collections (0, 10, 40,
    // 100 %): one idle collection would give back nothing. Without steps it gives back all at once.
    cmd.add("-XX:-ShrinkHeapInSteps");
    // The C library keeps memory the JVM freed (its compilers' arenas above all) in its own
    // pools: ~10 MiB per warm worker that no collection returns. A trim every 30 s gives it back.
    cmd.add("-XX:TrimNativeHeapInterval=30000");
    cmd.add("-XX:+ExitOnOutOfMemoryError");
    cmd.add("-Xshare:auto");
    cmd.add("-XX:-DontCompileHugeMethods");
    String image = System.getProperty("plasm.image");
    if (image != null) {
      cmd.add("-Dplasm.image=" + image);
      // The image's launcher gives these to the daemon; its workers need them as much (wasmtime).
      Path natives = Path.of(image, "lib", "wasmtime");
      if (Files.isRegularFile(natives.resolve("libwasmtime_jni.so"))) {
        cmd.add("-Djava.library.path=" + natives);
        cmd.add("--enable-native-access=wasmtime.java");
      }
    }
    cmd.addAll(config.workers().javaOptions());
    String modulePath = System.getProperty("jdk.module.path");
    String classPath = System.getProperty("java.class.path");
    String main = WorkerMain.class.getName();
    if (WorkerMain.class.getModule().isNamed()) {
      if (modulePath != null && !modulePath.isBlank()) {
        cmd.add("--module-path");
        cmd.add(modulePath);
      }
      if (classPath != null && !classPath.isBlank()) {
        cmd.add("-cp");
        cmd.add(classPath);
      }
      // Engines and receipt schemes are found by service binding from the root module (in a
      // runtime image they are system modules); ALL-MODULE-PATH keeps plugins given on the path.
      if (modulePath != null && !modulePath.isBlank()) {
        cmd.add("--add-modules");
        cmd.add("ALL-MODULE-PATH");
      }
      cmd.add("-m");
      cmd.add(WorkerMain.class.getModule().getName() + "/" + main);
    } else {
      cmd.add("-cp");
      cmd.add(
          classPath
              + (modulePath == null || modulePath.isBlank()
                  ? ""
                  : File.pathSeparator + modulePath));
      cmd.add(main);
    }
    cmd.add("--state");
    cmd.add(stateDir.toString());
    for (Path d : config.pluginDirs()) {
      cmd.add("--plugin-dir");
      cmd.add(d.toString());
    }
    cmd.add("--module-cache");
    cmd.add(Integer.toString(config.workers().moduleCache()));
    return cmd;
  }
}
