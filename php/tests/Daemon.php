<?php

declare(strict_types=1);

namespace Plasm\Tests;

/**
 * `plasm daemon` on 127.0.0.1 with an ephemeral port and its own state directory, as a user starts
 * one (a config file with `[api] listen`); stop() ends it with SIGTERM and removes its files.
 */
final class Daemon
{
    /** @var resource */
    private $process;
    public readonly string $state;
    public readonly string $url;
    public readonly string $token;
    public readonly string $peerId;
    private readonly string $dir;

    /**
     * @param string $extraToml more configuration, e.g. "[jobs]\nconcurrency = 1\n"
     * @param ?string $home when given, start it as a user would with no config file, with
     *     PLASM_HOME=$home/.plasm standing for ~/.plasm; only the port is made ephemeral
     * @param bool $await wait until it serves (false: startAll() waits)
     */
    public function __construct(string $extraToml = '', ?string $home = null, bool $await = true)
    {
        $this->spawn($extraToml, $home);
        if ($await) {
            $this->awaitReady();
        }
    }

    /**
     * Several daemons started side by side (faster than one after the other), each ready.
     *
     * @param list<string> $extraTomls one configuration each
     * @return list<Daemon>
     */
    public static function startAll(array $extraTomls): array
    {
        $daemons = [];
        try {
            foreach ($extraTomls as $toml) {
                $daemons[] = new self($toml, null, false);
            }
            foreach ($daemons as $d) {
                $d->awaitReady();
            }
        } catch (\Throwable $e) {
            foreach ($daemons as $d) {
                $d->stop();
            }
            throw $e;
        }
        return $daemons;
    }

    /**
     * GET a path of the daemon's API with its token, as decoded JSON.
     *
     * @return array<string, mixed>
     */
    public function get(string $path): array
    {
        $curl = curl_init($this->url . $path);
        curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 40,
            CURLOPT_HTTPHEADER => ["Authorization: Bearer $this->token"]]);
        $body = curl_exec($curl);
        $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        curl_close($curl);
        if (!is_string($body) || $status !== 200) {
            throw new \RuntimeException("GET $path: HTTP $status: " . var_export($body, true));
        }
        return json_decode($body, true, 64, JSON_THROW_ON_ERROR);
    }

    private function spawn(string $extraToml, ?string $home): void
    {
        $this->dir = Paths::tempDir('plasm-php-daemon');
        if ($home !== null) {
            $this->state = "$home/.plasm";
            // --state-dir is the default spelled out, so that an /etc/plasm/plasmd.toml on the
            // machine cannot move it.
            $cmd = [Plasm::bin(), 'daemon', '--listen', '127.0.0.1:0', '--state-dir', $this->state];
            $env = ['PLASM_HOME' => $this->state] + getenv();
        } else {
            $this->state = "$this->dir/state";
            $toml = "state-dir = \"$this->state\"\n\n[api]\nlisten = \"127.0.0.1:0\"\n\n"
                . "[workers]\nkill-grace = \"2s\"\n\n" . $extraToml;
            file_put_contents("$this->dir/plasmd.toml", $toml);
            $cmd = [Plasm::bin(), 'daemon', '--config', "$this->dir/plasmd.toml"];
            $env = null;
        }
        $this->process = proc_open(
            $cmd,
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', "$this->dir/daemon.out", 'w'],
                2 => ['file', "$this->dir/daemon.log", 'w']],
            $pipes,
            null,
            $env
        );
    }

    private function awaitReady(): void
    {
        $deadline = microtime(true) + 60;
        while (!is_file("$this->state/daemon.json") || !str_contains($this->log(), 'plasm daemon listening')) {
            if (!proc_get_status($this->process)['running'] || microtime(true) > $deadline) {
                $log = $this->log();
                $this->stop();
                throw new \RuntimeException("plasm daemon did not start:\n$log");
            }
            usleep(50000);
        }
        $info = json_decode((string) file_get_contents("$this->state/daemon.json"), true);
        $this->url = 'http://' . $info['address'];
        $this->token = trim((string) file_get_contents("$this->state/token"));
        $this->peerId = Plasm::peerId($this->state);
    }

    public function configFile(): string
    {
        return "$this->dir/plasmd.toml";
    }

    public function log(): string
    {
        return (string) @file_get_contents("$this->dir/daemon.log");
    }

    /** SIGTERM, then SIGKILL if it has not ended in 20 s; removes the state directory. */
    public function stop(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process, 15);
            $deadline = microtime(true) + 20;
            while (proc_get_status($this->process)['running'] && microtime(true) < $deadline) {
                usleep(50000);
            }
            if (proc_get_status($this->process)['running']) {
                proc_terminate($this->process, 9);
            }
            proc_close($this->process);
        }
        Paths::removeTree($this->dir);
    }

    public function __destruct()
    {
        $this->stop();
    }
}
