<?php

declare(strict_types=1);

namespace Plasm\Transport;

use Plasm\Exception\PlasmException;
use Plasm\JobState;
use Plasm\Manifest;

/**
 * One `plasm run` process of LocalTransport and what it produced.
 *
 * @internal
 */
final class LocalRun
{
    public string $buffer = '';
    /** @var array{stdout?: string, stderr?: string} */
    public array $output = [];
    public ?string $receipt = null;
    /** @var array<string, mixed> */
    private array $data;
    private ?PlasmException $failure = null;
    /** @var resource|null */
    private $process;

    /**
     * @param resource $process
     * @param resource $stdout
     */
    public function __construct(
        string $id,
        $process,
        public readonly mixed $stdout,
        public readonly string $dir,
        public readonly string $manifestFile,
        public readonly string $receiptFile,
        public readonly string $stderrFile,
        Manifest $manifest
    ) {
        $this->process = $process;
        $body = $manifest->toArray();
        $this->data = [
            'id' => $id,
            'state' => JobState::Running->value,
            'moduleSha256' => $manifest->moduleSha256(),
            'moduleBytes' => strlen($manifest->module()),
            'programName' => $manifest->programName(),
            'args' => $manifest->args(),
            'envNames' => array_keys($manifest->env()),
            'stdinBytes' => strlen($manifest->stdin() ?? ''),
            'engine' => $body['engine'] ?? 'auto',
            'deterministic' => $body['deterministic'] ?? false,
            'receipt' => false,
        ];
        if (isset($body['nonce'])) {
            $this->data['nonce'] = $body['nonce'];
        }
    }

    public function ended(): bool
    {
        return $this->data['state'] !== JobState::Running->value || $this->failure !== null;
    }

    /** The job in the daemon's shape; a refusal or crash of the command is thrown. */
    public function snapshot(): JobSnapshot
    {
        if ($this->failure !== null) {
            throw $this->failure;
        }
        return new JobSnapshot($this->data);
    }

    /** Waits for the process to end and returns its exit code. */
    public function close(): int
    {
        fclose($this->stdout);
        $code = proc_close($this->process);
        $this->process = null;
        return $code;
    }

    public function fail(PlasmException $e): void
    {
        $this->failure = $e;
    }

    /**
     * Converts `plasm run --json` output to the daemon's job shape, once, here.
     *
     * @param array<string, mixed> $cli
     */
    public function complete(array $cli, ?string $receipt): void
    {
        $outcome = ['kind' => (string) ($cli['outcome'] ?? 'failed')];
        if (isset($cli['exitCode'])) {
            $outcome['exitCode'] = (int) $cli['exitCode'];
        }
        $detail = $cli['trap'] ?? $cli['limit'] ?? $cli['rejection'] ?? null;
        if ($detail !== null) {
            $outcome['detail'] = (string) $detail;
        }
        if (isset($cli['message'])) {
            $outcome['message'] = (string) $cli['message'];
        }
        $u = is_array($cli['usage'] ?? null) ? $cli['usage'] : [];
        $usage = ['wallTimeMicros' => (int) round(((float) ($u['wallTimeMillis'] ?? 0)) * 1000)];
        foreach (['peakMemoryPages', 'fuelConsumed', 'stdoutBytes', 'stderrBytes'] as $k) {
            if (isset($u[$k])) {
                $usage[$k] = (int) $u[$k];
            }
        }
        $this->data['state'] = JobState::Finished->value;
        $this->data['finishedAt'] = gmdate('Y-m-d\TH:i:s\Z');
        $this->data['outcome'] = $outcome;
        $this->data['usage'] = $usage;
        if (is_array($cli['engine'] ?? null)) {
            $this->data['engineUsed'] = $cli['engine'];
        }
        if (is_array($cli['limits'] ?? null)) {
            $this->data['limits'] = $cli['limits'];
        }
        $this->data['receipt'] = $receipt !== null;
        $this->output = ['stdout' => self::bytes($cli, 'stdout'), 'stderr' => self::bytes($cli, 'stderr')];
        $this->receipt = $receipt;
    }

    /**
     * A stream's exact bytes: `stdout` is UTF-8 text, so output that is not valid UTF-8 also comes as
     * `stdoutBase64` (docs/cli.md), the bytes the receipt's digest is of.
     *
     * @param array<string, mixed> $cli
     */
    private static function bytes(array $cli, string $stream): string
    {
        if (is_string($cli[$stream . 'Base64'] ?? null)) {
            $bytes = base64_decode($cli[$stream . 'Base64'], true);
            if ($bytes !== false) {
                return $bytes;
            }
        }
        return (string) ($cli[$stream] ?? '');
    }

    /** Stops the process (SIGTERM, then SIGKILL after 5 s) and records the job as cancelled. */
    public function kill(string $reason): void
    {
        if ($this->process !== null) {
            proc_terminate($this->process, 15);
            $deadline = microtime(true) + 5.0;
            while (proc_get_status($this->process)['running'] && microtime(true) < $deadline) {
                usleep(20000);
            }
            if (proc_get_status($this->process)['running']) {
                proc_terminate($this->process, 9);
            }
            fclose($this->stdout);
            proc_close($this->process);
            $this->process = null;
        }
        self::removeDir($this->dir);
        $this->data['state'] = JobState::Cancelled->value;
        $this->data['reason'] = $reason;
    }

    /** Removes a run's private directory and the files in it (it has no subdirectories). */
    public static function removeDir(string $dir): void
    {
        foreach (@scandir($dir) ?: [] as $f) {
            if ($f !== '.' && $f !== '..') {
                @unlink("$dir/$f");
            }
        }
        @rmdir($dir);
    }
}
