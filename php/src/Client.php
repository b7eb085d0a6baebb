<?php

declare(strict_types=1);

namespace Plasm;

use Plasm\Exception\InvalidArgumentException;
use Plasm\Transport\LocalTransport;
use Plasm\Transport\RemoteTransport;
use Plasm\Transport\Transport;

/**
 * The entry point: submits jobs to a Plasm daemon (`remote`, the default) or runs them with the
 * local `plasm` command (`local`).
 *
 *     $client = new Plasm\Client(['mode' => 'remote', 'daemon_url' => 'http://127.0.0.1:8080',
 *                                 'token' => getenv('PLASM_TOKEN')]);
 *     $result = $client->createJob('hello.wasm')->withArgs(['world'])->submit()->wait();
 *
 * Options (all optional):
 * - `mode`: `remote` (default) or `local`.
 * - `daemon_url`: the daemon, e.g. `http://127.0.0.1:8080`. Default, found as `plasm submit` finds
 *   it: `$PLASM_DAEMON` (HOST:PORT), else the `api.listen` of the daemon's config file (`config`),
 *   else the `daemon.json` a running daemon wrote in its state directory (`plasm_home`), else the
 *   `api.listen` of /etc/plasm/plasmd.toml when that file exists, else `http://127.0.0.1:8080`.
 * - `token`: the bearer token; else `token_file`; else `$PLASM_TOKEN`; else the file `token` in the
 *   state directory of the same source. An empty value or `false` (what getenv() returns for an
 *   unset variable) counts as not given.
 * - `plasm_home`: the daemon's state directory (remote) or the `PLASM_HOME` of the `plasm` command
 *   (local; its identity signs the receipts). Default `$PLASM_HOME`, else `~/.plasm`.
 * - `config`: the daemon's config file (plasmd.toml), whose `state-dir` and `api.listen` say where
 *   the daemon and its token are.
 * - `plasm_bin`: the `plasm` command for `local` (default: `plasm` on PATH).
 * - `timeout` (30), `connect_timeout` (5), `retries` (3), `retry_delay` (0.2), `max_retry_delay` (5):
 *   seconds and counts for `remote` requests.
 */
final class Client
{
    public const VERSION = '0.1.0';

    private const OPTIONS = ['mode', 'daemon_url', 'token', 'token_file', 'plasm_home', 'config', 'plasm_bin',
        'timeout', 'connect_timeout', 'retries', 'retry_delay', 'max_retry_delay'];
    private const SYSTEM_CONFIG = '/etc/plasm/plasmd.toml';
    /** A TOML `key = "basic string"` or `key = 'literal string'` line. */
    private const TOML_STRING = '/^\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\\\]|\\\\.)*)"|\'([^\']*)\')/';

    private readonly Transport $transport;

    /**
     * @param array<string, mixed>|Transport $options the options above, or a transport to use as is
     * @throws InvalidArgumentException for an unknown option or a bad value, naming it
     * @throws Exception\TransportException when `local` cannot find the `plasm` command
     */
    public function __construct(array|Transport $options = [])
    {
        if ($options instanceof Transport) {
            $this->transport = $options;
            return;
        }
        foreach (array_keys($options) as $name) {
            if (!in_array($name, self::OPTIONS, true)) {
                throw new InvalidArgumentException(
                    (string) $name,
                    'unknown option; the options are ' . implode(', ', self::OPTIONS)
                );
            }
        }
        $mode = $options['mode'] ?? 'remote';
        $home = self::given($options, 'plasm_home') ?? self::given(['h' => getenv('PLASM_HOME')], 'h');
        if ($mode === 'local') {
            $this->transport = new LocalTransport(self::given($options, 'plasm_bin'), $home);
        } elseif ($mode === 'remote') {
            [$url, $home] = self::locateDaemon($options, $home);
            $http = array_intersect_key($options, array_flip(['timeout', 'connect_timeout', 'retries', 'retry_delay',
                'max_retry_delay']));
            $this->transport = new RemoteTransport($url, self::token($options, $home), $http);
        } else {
            throw new InvalidArgumentException('mode', "'" . print_r($mode, true) . "' is not remote or local");
        }
    }

    /**
     * A manifest for the module in a file, ready to be configured and submitted.
     *
     * @throws InvalidArgumentException (field `module`) when the file cannot be read
     */
    public function createJob(string $modulePath): Manifest
    {
        return Manifest::fromFile($modulePath, $this);
    }

    /** A manifest for a module held in memory; $programName is the guest's argv[0]. */
    public function createJobFromBytes(string $module, string $programName): Manifest
    {
        return Manifest::fromBytes($module, $programName, $this);
    }

    /** Submits a job and returns at once. */
    public function submit(Manifest $manifest): Job
    {
        return new Job($this->transport, $this->transport->submit($manifest), $manifest);
    }

    /**
     * Submits a job and waits for its result; a daemon answers a short job in the same round trip.
     *
     * @param ?float $timeout seconds to wait at most; null waits as long as the job takes
     */
    public function run(Manifest $manifest, ?float $timeout = null): Result
    {
        $start = microtime(true);
        $first = min($timeout ?? RemoteTransport::MAX_POLL_SECONDS, RemoteTransport::MAX_POLL_SECONDS);
        $job = new Job($this->transport, $this->transport->submit($manifest, $first), $manifest);
        return $job->wait($timeout === null ? null : max(0.0, $timeout - (microtime(true) - $start)));
    }

    /** A job submitted earlier (remote: any job on the daemon; local: one this client started). */
    public function job(string $id): Job
    {
        return new Job($this->transport, $this->transport->status($id));
    }

    public function transport(): Transport
    {
        return $this->transport;
    }

    /** @param array<array-key, mixed> $options */
    private static function given(array $options, string $name): ?string
    {
        $v = $options[$name] ?? null;
        if ($v === null || $v === false || $v === '') {
            return null;
        }
        if (!is_string($v)) {
            throw new InvalidArgumentException($name, 'must be a string');
        }
        return $v;
    }

    /** `~/.plasm`, with `~` the home directory the `plasm` command (Java's user.home) uses. */
    private static function defaultHome(): string
    {
        // Java takes the home directory from the user database, not $HOME; so does this, when it can.
        $home = function_exists('posix_getpwuid') ? (posix_getpwuid(posix_geteuid())['dir'] ?? '') : '';
        if ($home === '') {
            $home = (string) getenv('HOME');
        }
        return ($home === '' ? sys_get_temp_dir() : $home) . '/.plasm';
    }

    /**
     * The daemon's URL and the state directory holding its token, in the order `plasm submit` uses.
     *
     * @param array<string, mixed> $options
     * @return array{string, string}
     */
    private static function locateDaemon(array $options, ?string $home): array
    {
        $home ??= self::defaultHome();
        $address = self::given($options, 'daemon_url') ?? self::given(['d' => getenv('PLASM_DAEMON')], 'd');
        $config = self::given($options, 'config');
        if ($config !== null) {
            [$listen, $stateDir] = self::readConfig($config);
            $home = $stateDir ?? $home;
            // Port 0 is "any free port": the daemon.json in its state directory says which it got.
            if (!str_ends_with($listen, ':0')) {
                $address ??= $listen;
            }
        }
        if ($address === null) {
            $info = @file_get_contents("$home/daemon.json");
            $stated = $info === false ? null : (json_decode($info, true)['address'] ?? null);
            $address = is_string($stated) ? $stated : null;
        }
        if ($address === null && self::given($options, 'daemon_url') === null && is_file(self::SYSTEM_CONFIG)) {
            [$address, $stateDir] = self::readConfig(self::SYSTEM_CONFIG);
            if (!is_file("$home/token") && $stateDir !== null) {
                $home = $stateDir;
            }
        }
        $url = $address ?? '127.0.0.1:8080';
        if (!str_contains($url, '://')) {
            $url = "http://$url";
        }
        // A daemon bound to a wildcard address is reached on this machine's loopback.
        $url = preg_replace('#^(https?://)(0\.0\.0\.0|\[::\])(:\d+)#', '${1}127.0.0.1${3}', $url);
        return [$url, $home];
    }

    /**
     * The `api.listen` (default 127.0.0.1:8080) and `state-dir` of a daemon config file: the two keys
     * a client needs, read line by line (docs/config.md; the daemon itself checks the whole file).
     *
     * @return array{string, ?string}
     */
    private static function readConfig(string $path): array
    {
        $lines = @file($path, FILE_IGNORE_NEW_LINES);
        if ($lines === false) {
            throw new InvalidArgumentException('config', "cannot read the daemon config file $path");
        }
        $table = '';
        $listen = '127.0.0.1:8080';
        $stateDir = null;
        foreach ($lines as $line) {
            if (preg_match('/^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]/', $line, $m) === 1) {
                $table = $m[1];
            } elseif (preg_match(self::TOML_STRING, $line, $m) === 1) {
                $value = isset($m[3]) ? $m[3] : stripcslashes($m[2]);
                if ($table === '' && $m[1] === 'state-dir') {
                    $stateDir = $value;
                } elseif ($table === 'api' && $m[1] === 'listen') {
                    $listen = $value;
                }
            }
        }
        $listen = preg_replace('/^(0\.0\.0\.0|)(:\d+)$/', '127.0.0.1$2', $listen);
        return [$listen, $stateDir];
    }

    /** @param array<string, mixed> $options */
    private static function token(array $options, string $home): ?string
    {
        $token = self::given($options, 'token');
        if ($token !== null) {
            return trim($token);
        }
        $file = self::given($options, 'token_file');
        if ($file !== null) {
            $t = @file_get_contents($file);
            if ($t === false) {
                throw new InvalidArgumentException('token_file', "cannot read $file");
            }
            return trim($t);
        }
        $env = self::given(['t' => getenv('PLASM_TOKEN')], 't');
        if ($env !== null) {
            return trim($env);
        }
        $t = is_readable("$home/token") ? @file_get_contents("$home/token") : false;
        return $t === false ? null : trim($t);
    }
}
