<?php

declare(strict_types=1);

namespace Plasm;

use Plasm\Exception\JobFailedException;
use Plasm\Transport\JobSnapshot;
use Plasm\Transport\Transport;

/**
 * The result of a finished job: its outcome, output, usage and signed receipt. Output and receipt
 * are fetched the first time they are asked for.
 */
final class Result
{
    private ?Receipt $receipt = null;

    /** @internal built by Job */
    public function __construct(
        private readonly Transport $transport,
        private readonly JobSnapshot $snapshot,
        private readonly ?Manifest $manifest,
        private ?string $stdout = null,
        private ?string $stderr = null
    ) {
    }

    public function jobId(): string
    {
        return $this->snapshot->id();
    }

    /** `completed`, `trapped`, `limit-exceeded`, `rejected` or `failed`. */
    public function outcome(): string
    {
        return $this->snapshot->outcome()['kind'] ?? 'failed';
    }

    /** The guest's exit code when the outcome is `completed`, else null. */
    public function exitCode(): ?int
    {
        return $this->snapshot->outcome()['exitCode'] ?? null;
    }

    /** The trap (`unreachable`), limit (`wall-time`, `memory`, `fuel`, ...) or rejection (`malformed`) kind. */
    public function detail(): ?string
    {
        return $this->snapshot->outcome()['detail'] ?? null;
    }

    /** A human explanation when the outcome is not `completed`. */
    public function message(): ?string
    {
        return $this->snapshot->outcome()['message'] ?? null;
    }

    /** Whether the guest completed with exit code 0. */
    public function succeeded(): bool
    {
        return $this->outcome() === 'completed' && $this->exitCode() === 0;
    }

    /**
     * Returns $this when the guest completed with exit code 0.
     *
     * @throws JobFailedException with the outcome otherwise
     */
    public function throwIfFailed(): self
    {
        if ($this->succeeded()) {
            return $this;
        }
        $what = match ($this->outcome()) {
            'completed' => 'exited with code ' . $this->exitCode(),
            'failed' => 'failed',
            default => $this->outcome() . ($this->detail() === null ? '' : " ({$this->detail()})"),
        };
        throw new JobFailedException(
            "job {$this->jobId()} $what" . ($this->message() === null ? '' : ": {$this->message()}"),
            $this->jobId(),
            JobState::Finished,
            $this->outcome(),
            $this->exitCode(),
            $this->detail()
        );
    }

    /** The guest's stdout (up to the job's output cap). */
    public function stdout(): string
    {
        return $this->stdout ??= $this->read('stdout');
    }

    /** The guest's stderr (up to the job's output cap). */
    public function stderr(): string
    {
        return $this->stderr ??= $this->read('stderr');
    }

    /**
     * What the job used: `wallTimeMicros`, `peakMemoryPages`, `fuelConsumed` (metered runs),
     * `stdoutBytes`, `stderrBytes`.
     *
     * @return array<string, int>
     */
    public function usage(): array
    {
        return $this->snapshot->data['usage'] ?? [];
    }

    /**
     * The engine that ran the job.
     *
     * @return ?array{id: string, version: string}
     */
    public function engine(): ?array
    {
        return $this->snapshot->data['engineUsed'] ?? null;
    }

    /**
     * The peers whose answer was accepted, for a job that ran on other peers; empty for a job the
     * node it was submitted to ran. The receipt is signed by one of them: trust that peer to verify it.
     *
     * @return list<string> peer ids (12D3KooW...)
     */
    public function executedBy(): array
    {
        return $this->snapshot->executedBy();
    }

    /**
     * The tries on other peers, oldest first (docs/remote.md); empty for a job the node it was
     * submitted to ran.
     *
     * @return list<Attempt>
     */
    public function attempts(): array
    {
        return $this->snapshot->attempts();
    }

    /**
     * On the peer that ran a job for another node: that node and the job's id there.
     *
     * @return ?array{peerId: string, jobId: string}
     */
    public function requester(): ?array
    {
        return $this->snapshot->requester();
    }

    /**
     * The job's signed receipt. It knows the job's id and, when the job was submitted through this
     * client, its module, arguments and nonce, and it checks the output this result holds: so
     * `$result->receipt()->verify(trusted: [...])` checks all of them.
     *
     * A job that ran on other peers has the receipt of the peer whose answer was accepted, signed
     * with the job's id on that peer (the attempt's executorJobId): that is the id it is checked
     * against, and that peer (in executedBy()) is the signer to trust.
     */
    public function receipt(): Receipt
    {
        if ($this->receipt === null) {
            $json = $this->transport->receipt($this->jobId());
            $expected = ['jobId' => $this->receiptJobId($json), 'stdout' => $this->stdout(),
                'stderr' => $this->stderr()];
            if ($this->manifest !== null) {
                $expected += ['module' => $this->manifest->module(), 'args' => $this->manifest->args(),
                    'nonce' => $this->manifest->nonce()];
            }
            $this->receipt = new Receipt($json, $expected);
        }
        return $this->receipt;
    }

    /**
     * The finished job as the daemon describes it (docs/http-api.md, GET /v1/jobs/{id}).
     *
     * @return array<string, mixed>
     */
    public function toArray(): array
    {
        return $this->snapshot->data;
    }

    /**
     * The job id the receipt must name: this job's, or for a job run elsewhere, the id that the
     * accepted peer the receipt names as its signer gave it. The signer is only read here to pick
     * the attempt; verify() then proves the signature and whether that peer is trusted.
     */
    private function receiptJobId(string $json): string
    {
        $by = $this->executedBy();
        if ($by === []) {
            return $this->jobId();
        }
        try {
            $signer = Receipt::fromJson($json)->signerPeerId();
        } catch (Exception\VerificationException) {
            return $this->jobId(); // malformed: verify() reports the format check
        }
        foreach ($this->attempts() as $a) {
            if ($a->ok() && $a->peerId === $signer && in_array($signer, $by, true) && $a->executorJobId !== null) {
                return $a->executorJobId;
            }
        }
        return $this->jobId();
    }

    private function read(string $stream): string
    {
        $bytes = '';
        $offset = 0;
        do {
            $out = $this->transport->output($this->jobId(), $stream, $offset);
            $bytes .= $out->bytes;
            $progress = $out->nextOffset > $offset;
            $offset = $out->nextOffset;
        } while (!$out->complete && $progress);
        return $bytes;
    }
}
