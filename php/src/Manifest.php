<?php

declare(strict_types=1);

namespace Plasm;

use Plasm\Exception\InvalidArgumentException;

/**
 * A job to run: the module and everything the guest gets, the limits, and where and how to run it,
 * built fluently. Each `with...()` returns a new manifest (the original is unchanged, as with PSR-7
 * messages), so a base manifest can be reused:
 *
 *     $base = $client->createJob('tool.wasm')->withMemory(64)->withTimeout(5);
 *     $a = $base->withArgs(['a.txt'])->submit();
 *     $b = $base->withArgs(['b.txt'])->submit();
 *
 * Values are checked when they are set and a bad one throws InvalidArgumentException naming the
 * field (`limits.cpus`). Only the fields the caller set are sent: the node's defaults apply to the
 * rest, and a job can never ask for more than the node gives (the node refuses it, naming the field).
 */
final class Manifest
{
    private const ID = '/\A[A-Za-z0-9._:-]{1,128}\z/';
    private const MIB = 1048576;

    private ?string $sha256 = null;
    /** @var list<string> */
    private array $args = [];
    /** @var array<string, string> */
    private array $env = [];
    private ?string $stdin = null;
    /** @var array<string, int> */
    private array $limits = [];
    private ?string $engine = null;
    private ?bool $deterministic = null;
    private ?string $nonce = null;
    private ?string $idempotencyKey = null;
    private ?string $placement = null;
    private ?int $redundancy = null;
    private ?string $verify = null;

    private function __construct(
        private readonly string $module,
        private string $programName,
        private readonly ?Client $client
    ) {
    }

    /**
     * A manifest for the module in a file; the guest's argv[0] is the file's name.
     *
     * @throws InvalidArgumentException (field `module`) when the file cannot be read
     */
    public static function fromFile(string $path, ?Client $client = null): self
    {
        $bytes = is_file($path) && is_readable($path) ? @file_get_contents($path) : false;
        if ($bytes === false) {
            throw new InvalidArgumentException('module', "cannot read the module file '$path'"
                . (file_exists($path) ? '' : ' (no such file)'));
        }
        return self::fromBytes($bytes, basename($path), $client);
    }

    /**
     * A manifest for a module held in memory.
     *
     * @param string $programName the guest's argv[0], e.g. `tool.wasm` (a name, never a path)
     */
    public static function fromBytes(string $module, string $programName, ?Client $client = null): self
    {
        if (!str_starts_with($module, "\0asm")) {
            throw new InvalidArgumentException('module', 'not a WebAssembly module (it does not start with \\0asm)');
        }
        self::checkProgramName($programName);
        return new self($module, $programName, $client);
    }

    /** Submits the job through the client that created this manifest. */
    public function submit(): Job
    {
        return $this->client()->submit($this);
    }

    /**
     * Submits the job and waits for its result: one round trip to a daemon for short jobs.
     *
     * @param ?float $timeout seconds to wait at most (null: as long as the job takes)
     */
    public function run(?float $timeout = null): Result
    {
        return $this->client()->run($this, $timeout);
    }

    /** @param list<string> $args the guest's arguments after argv[0] */
    public function withArgs(array $args): self
    {
        if (!array_is_list($args)) {
            throw new InvalidArgumentException('args', 'must be a list of strings');
        }
        foreach ($args as $i => $a) {
            if (!is_string($a)) {
                throw new InvalidArgumentException("args[$i]", 'must be a string, not ' . get_debug_type($a));
            }
        }
        return $this->with('args', $args);
    }

    /**
     * The guest's environment; it sees no variable that is not given here.
     *
     * @param array<string, string> $env NAME => VALUE
     */
    public function withEnv(array $env): self
    {
        foreach ($env as $name => $value) {
            $name = (string) $name;
            if ($name === '' || str_contains($name, '=') || str_contains($name, "\0")) {
                throw new InvalidArgumentException('env', "'$name' is not a variable name (non-empty, no '=')");
            }
            if (!is_string($value)) {
                throw new InvalidArgumentException("env.$name", 'must be a string, not ' . get_debug_type($value));
            }
        }
        return $this->with('env', array_combine(array_map('strval', array_keys($env)), array_values($env)));
    }

    /** The bytes the guest reads from stdin (default: none). */
    public function withStdin(string $bytes): self
    {
        return $this->with('stdin', $bytes);
    }

    /** CPUs the job may use (limits.cpus, at least 1); a node that cannot give them refuses the job. */
    public function withCpu(int $cpus): self
    {
        return $this->withLimit('cpus', $cpus, 1);
    }

    /** Linear memory cap in MiB (limits.maxMemoryBytes = MiB × 1048576). */
    public function withMemory(int $mib): self
    {
        if ($mib > intdiv(PHP_INT_MAX, self::MIB)) {
            throw new InvalidArgumentException('limits.maxMemoryBytes', "$mib MiB is too large");
        }
        return $this->withLimit('maxMemoryBytes', $mib * self::MIB, self::MIB);
    }

    /** Linear memory cap in bytes (a whole number of 64 KiB pages). */
    public function withMemoryBytes(int $bytes): self
    {
        return $this->withLimit('maxMemoryBytes', $bytes, 65536);
    }

    /** Wall-clock limit in seconds, fractions allowed (limits.timeoutMillis). */
    public function withTimeout(int|float $seconds): self
    {
        $millis = is_finite((float) $seconds) ? (int) round($seconds * 1000) : 0;
        if ($millis < 1) {
            throw new InvalidArgumentException('limits.timeoutMillis', "a timeout of $seconds s is below 1 ms");
        }
        return $this->withLimit('timeoutMillis', $millis, 1);
    }

    /** Instruction budget (limits.fuel); only engines that meter fuel accept it. */
    public function withFuel(int $fuel): self
    {
        return $this->withLimit('fuel', $fuel, 1);
    }

    /** Cap on stdout and, separately, stderr, in bytes (limits.maxOutputBytes). */
    public function withMaxOutput(int $bytes): self
    {
        return $this->withLimit('maxOutputBytes', $bytes, 0);
    }

    /** Cap on each table's elements (limits.maxTableElements). */
    public function withMaxTableElements(int $elements): self
    {
        return $this->withLimit('maxTableElements', $elements, 0);
    }

    /** Largest module the job accepts, in bytes (limits.maxModuleBytes). */
    public function withMaxModuleBytes(int $bytes): self
    {
        return $this->withLimit('maxModuleBytes', $bytes, 1);
    }

    /** Largest stdin the job accepts, in bytes (limits.maxStdinBytes). */
    public function withMaxStdinBytes(int $bytes): self
    {
        return $this->withLimit('maxStdinBytes', $bytes, 0);
    }

    /** The engine: `auto` (the node picks one for the job) or an engine id such as `wasmtime`. */
    public function withEngine(string $engine): self
    {
        if (preg_match('/\A[a-z0-9]+(-[a-z0-9]+)*\z/', $engine) !== 1) {
            throw new InvalidArgumentException(
                'engine',
                "'$engine' is not an engine id (e.g. auto, wasmtime, chicory-interpreter)"
            );
        }
        return $this->with('engine', $engine);
    }

    /** Recorded clocks and random (docs/receipts.md §6), so that the run can be re-executed exactly. */
    public function deterministic(bool $deterministic = true): self
    {
        return $this->with('deterministic', $deterministic);
    }

    /** A nonce bound into the receipt (1-128 of A-Z a-z 0-9 . _ : -). */
    public function withNonce(string $nonce): self
    {
        self::checkId('nonce', $nonce);
        return $this->with('nonce', $nonce);
    }

    /**
     * The key that makes resubmitting this job return the same job (1-128 of A-Z a-z 0-9 . _ : -).
     * Without one, the SDK makes one per submit() so that its own retries never start a job twice.
     */
    public function withIdempotencyKey(string $key): self
    {
        self::checkId('idempotencyKey', $key);
        return $this->with('idempotencyKey', $key);
    }

    /** The guest's argv[0] (a name, never a path). */
    public function withProgramName(string $name): self
    {
        self::checkProgramName($name);
        return $this->with('programName', $name);
    }

    /** Where the job runs: `local` (this node), `remote` (another peer), `any`, or a peer id. */
    public function withPlacement(string $placement): self
    {
        $peerId = preg_match('/\A[1-9A-HJ-NP-Za-km-z]{40,60}\z/', $placement) === 1;
        if (!$peerId && !in_array($placement, ['local', 'remote', 'any'], true)) {
            throw new InvalidArgumentException(
                'placement',
                "'$placement' is not local, remote, any or a peer id (12D3KooW...)"
            );
        }
        return $this->with('placement', $placement);
    }

    /** On how many nodes the job runs (at least 1). */
    public function withRedundancy(int $nodes): self
    {
        if ($nodes < 1) {
            throw new InvalidArgumentException('redundancy', "must be at least 1, not $nodes");
        }
        return $this->with('redundancy', $nodes);
    }

    /** How the node checks results from other peers: `receipt` or `reexecute`. */
    public function withVerify(string $mode): self
    {
        if ($mode !== 'receipt' && $mode !== 'reexecute') {
            throw new InvalidArgumentException('verify', "'$mode' is not receipt or reexecute");
        }
        return $this->with('verify', $mode);
    }

    /** The module's bytes. */
    public function module(): string
    {
        return $this->module;
    }

    /** The lower-case hex SHA-256 of the module: its name on a daemon. */
    public function moduleSha256(): string
    {
        return $this->sha256 ??= hash('sha256', $this->module);
    }

    public function programName(): string
    {
        return $this->programName;
    }

    /** @return list<string> */
    public function args(): array
    {
        return $this->args;
    }

    /** @return array<string, string> */
    public function env(): array
    {
        return $this->env;
    }

    public function stdin(): ?string
    {
        return $this->stdin;
    }

    public function nonce(): ?string
    {
        return $this->nonce;
    }

    public function idempotencyKey(): ?string
    {
        return $this->idempotencyKey;
    }

    /**
     * The body of POST /v1/jobs (docs/http-api.md): only the fields that were set, the module named
     * by its hash (or inline when $inlineModule). JSON objects are arrays here; encode with
     * Manifest::json() so an empty env stays `{}`.
     *
     * @return array<string, mixed>
     */
    public function toArray(bool $inlineModule = false): array
    {
        $body = $inlineModule ? ['moduleBase64' => base64_encode($this->module)] : ['module' => $this->moduleSha256()];
        $body['programName'] = $this->programName;
        if ($this->args !== []) {
            $body['args'] = $this->args;
        }
        if ($this->env !== []) {
            $body['env'] = $this->env;
        }
        if ($this->stdin !== null) {
            $body['stdinBase64'] = base64_encode($this->stdin);
        }
        if ($this->limits !== []) {
            $body['limits'] = $this->limits;
        }
        $optional = ['engine' => $this->engine, 'deterministic' => $this->deterministic, 'nonce' => $this->nonce,
            'idempotencyKey' => $this->idempotencyKey, 'placement' => $this->placement,
            'redundancy' => $this->redundancy, 'verify' => $this->verify];
        foreach ($optional as $name => $value) {
            if ($value !== null) {
                $body[$name] = $value;
            }
        }
        return $body;
    }

    /** The JSON body of POST /v1/jobs. */
    public function json(bool $inlineModule = false): string
    {
        return self::encode($this->toArray($inlineModule));
    }

    /**
     * The manifest as a file for `plasm run --manifest FILE` (docs/manifest.md): the module and the
     * stdin (when set) named by paths relative to that file instead of carried inline.
     */
    public function fileJson(string $modulePath, string $stdinPath): string
    {
        $body = ['modulePath' => $modulePath] + $this->toArray();
        unset($body['module']);
        if (isset($body['stdinBase64'])) {
            unset($body['stdinBase64']);
            $body['stdinPath'] = $stdinPath;
        }
        return self::encode($body);
    }

    /** The same manifest, with the idempotency key set when it had none. */
    public function withDefaultIdempotencyKey(): self
    {
        return $this->idempotencyKey !== null ? $this : $this->withIdempotencyKey('php-' . bin2hex(random_bytes(16)));
    }

    /** A copy with one property changed: every with...() returns a new manifest. */
    private function with(string $property, mixed $value): self
    {
        $m = clone $this;
        $m->{$property} = $value;
        return $m;
    }

    private function withLimit(string $name, int $value, int $min): self
    {
        if ($value < $min) {
            throw new InvalidArgumentException("limits.$name", "must be at least $min, not $value");
        }
        return $this->with('limits', array_merge($this->limits, [$name => $value]));
    }

    /** @param array<string, mixed> $body */
    private static function encode(array $body): string
    {
        if (isset($body['env'])) {
            $body['env'] = (object) $body['env'];
        }
        if (isset($body['limits'])) {
            $body['limits'] = (object) $body['limits'];
        }
        return json_encode($body, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
    }

    private function client(): Client
    {
        if ($this->client === null) {
            throw new InvalidArgumentException(
                'client',
                'this manifest was not created by a Plasm\Client; pass it to $client->submit()'
            );
        }
        return $this->client;
    }

    private static function checkId(string $field, string $value): void
    {
        if (preg_match(self::ID, $value) !== 1) {
            throw new InvalidArgumentException($field, "'$value' is not 1-128 of A-Z a-z 0-9 . _ : -");
        }
    }

    private static function checkProgramName(string $name): void
    {
        if (
            $name === '' || strlen($name) > 255 || str_contains($name, '/') || str_contains($name, "\0")
            || $name === '.' || $name === '..'
        ) {
            throw new InvalidArgumentException('programName', "'$name' is not a program name (1-255 bytes, no '/')");
        }
    }
}
