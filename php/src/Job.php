<?php

declare(strict_types=1);

namespace Plasm;

use Plasm\Exception\JobFailedException;
use Plasm\Exception\WaitTimeoutException;
use Plasm\Transport\JobSnapshot;
use Plasm\Transport\Transport;

/**
 * A submitted job: its id and state, and the ways to get its result (wait, follow), or to cancel it.
 */
final class Job
{
    /** Longest single long-poll of wait(); longer waits are several polls. */
    private const POLL_SECONDS = 30.0;

    /**
     * @param ?Manifest $manifest the manifest it was submitted with, when it was submitted here
     *     (its module, arguments and nonce are what the receipt is checked against)
     */
    public function __construct(
        private readonly Transport $transport,
        private JobSnapshot $snapshot,
        private readonly ?Manifest $manifest = null
    ) {
    }

    public function id(): string
    {
        return $this->snapshot->id();
    }

    /** The job's state now (asks the daemon while the job has not ended). */
    public function state(): JobState
    {
        if (!$this->snapshot->ended()) {
            $this->snapshot = $this->transport->status($this->id());
        }
        return $this->snapshot->state;
    }

    /**
     * The job's state now, by its name: `queued`, `running`, `finished`, `cancelled` or
     * `interrupted`.
     *
     * @deprecated use state(), which gives it as a JobState (`state()->value` is this name)
     */
    public function status(): string
    {
        return $this->state()->value;
    }

    /**
     * The peers whose answer was accepted, for a job that ran on other peers (placement `remote`, a
     * peer id, or `any` when this node could not run it); empty for a job this node ran. Asks the
     * daemon while the job has not ended.
     *
     * @return list<string> peer ids (12D3KooW...): the signers of the job's receipt
     */
    public function executedBy(): array
    {
        $this->state();
        return $this->snapshot->executedBy();
    }

    /**
     * The tries on other peers so far, oldest first (docs/remote.md); empty for a job this node ran.
     * Asks the daemon while the job has not ended.
     *
     * @return list<Attempt>
     */
    public function attempts(): array
    {
        $this->state();
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
     * The job as the daemon last described it (docs/http-api.md, GET /v1/jobs/{id}).
     *
     * @return array<string, mixed>
     */
    public function toArray(): array
    {
        return $this->snapshot->data;
    }

    /**
     * Waits for the job to end and returns its result, whatever its outcome (a trap or a timeout is
     * a result, with a receipt); check it with Result::succeeded() or Result::throwIfFailed().
     *
     * @param ?float $timeout seconds to wait at most; null waits as long as the job takes
     * @throws WaitTimeoutException when the job is still queued or running after $timeout
     * @throws JobFailedException when the job was cancelled or interrupted (it has no result)
     */
    public function wait(?float $timeout = null): Result
    {
        $deadline = $timeout === null ? null : microtime(true) + $timeout;
        while (!$this->snapshot->ended()) {
            $left = $deadline === null ? self::POLL_SECONDS : $deadline - microtime(true);
            if ($left <= 0) {
                throw $this->timedOut($timeout);
            }
            $this->snapshot = $this->transport->wait($this->id(), $left);
        }
        return $this->result();
    }

    /**
     * Calls $onStdout (and $onStderr) with each new piece of output while the job runs, every byte
     * once, and returns the result when the job has ended and all output has been passed on.
     *
     * A daemon's worker flushes output about five times a second; LocalTransport gets the output
     * only when the job ends, and passes it on in one piece.
     *
     * @param callable(string): mixed $onStdout
     * @param ?callable(string): mixed $onStderr
     * @param ?float $timeout seconds to follow at most; null follows until the job ends
     * @throws WaitTimeoutException when the job is still running after $timeout
     * @throws JobFailedException when the job was cancelled or interrupted
     */
    public function follow(callable $onStdout, ?callable $onStderr = null, ?float $timeout = null): Result
    {
        $deadline = $timeout === null ? null : microtime(true) + $timeout;
        $streams = ['stdout' => $onStdout, 'stderr' => $onStderr];
        $offsets = ['stdout' => 0, 'stderr' => 0];
        $complete = ['stdout' => false, 'stderr' => false];
        $seen = ['stdout' => '', 'stderr' => ''];
        while (true) {
            foreach ($streams as $name => $callback) {
                if ($complete[$name]) {
                    continue;
                }
                $out = $this->transport->output($this->id(), $name, $offsets[$name]);
                $offsets[$name] = $out->nextOffset;
                $complete[$name] = $out->complete;
                if ($out->bytes !== '') {
                    $seen[$name] .= $out->bytes;
                    if ($callback !== null) {
                        $callback($out->bytes);
                    }
                }
            }
            if ($complete['stdout'] && $complete['stderr']) {
                break;
            }
            $left = $deadline === null ? 0.2 : min(0.2, $deadline - microtime(true));
            if ($left <= 0) {
                throw $this->timedOut($timeout);
            }
            // A short long-poll paces the reads and returns at once when the job ends.
            $this->snapshot = $this->transport->wait($this->id(), $left);
        }
        if (!$this->snapshot->ended()) {
            $this->snapshot = $this->transport->status($this->id());
        }
        return $this->result($seen['stdout'], $seen['stderr']);
    }

    /**
     * Cancels the job: a queued job never runs, a running job is stopped. Returns the name of its
     * state after (state() then has it as a JobState); a job that had already ended keeps its state
     * and result.
     */
    public function cancel(): string
    {
        $this->snapshot = $this->transport->cancel($this->id());
        return $this->snapshot->state->value;
    }

    private function result(?string $stdout = null, ?string $stderr = null): Result
    {
        $state = $this->snapshot->state;
        if ($state !== JobState::Finished) {
            $reason = $this->snapshot->data['reason'] ?? null;
            throw new JobFailedException(
                "job {$this->id()} was {$state->value}" . (is_string($reason) ? ": $reason" : '')
                    . '; it has no result',
                $this->id(),
                $state
            );
        }
        return new Result($this->transport, $this->snapshot, $this->manifest, $stdout, $stderr);
    }

    private function timedOut(?float $timeout): WaitTimeoutException
    {
        $state = $this->snapshot->state;
        return new WaitTimeoutException(
            "job {$this->id()} is still {$state->value} after $timeout s; wait again, or cancel it",
            $this->id(),
            $state
        );
    }
}
