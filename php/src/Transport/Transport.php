<?php

declare(strict_types=1);

namespace Plasm\Transport;

use Plasm\Manifest;

/**
 * How a Client reaches Plasm: RemoteTransport speaks a daemon's HTTP API, LocalTransport runs the
 * `plasm` command on this machine. Every method throws Plasm\Exception\PlasmException subtypes only.
 */
interface Transport
{
    /**
     * Submits a job.
     *
     * @param float $wait seconds to wait for the job to end before answering (0: answer at once)
     */
    public function submit(Manifest $manifest, float $wait = 0.0): JobSnapshot;

    /** The job as it is now. */
    public function status(string $jobId): JobSnapshot;

    /** The job as soon as it ends, or as it is after $timeout seconds. */
    public function wait(string $jobId, float $timeout): JobSnapshot;

    /**
     * A job's output from byte $offset to what has been written so far.
     *
     * @param string $stream `stdout` or `stderr`
     */
    public function output(string $jobId, string $stream, int $offset): Output;

    /** The job's signed receipt document (JSON), once the job has ended. */
    public function receipt(string $jobId): string;

    /** Cancels a queued or running job; a job that has already ended is returned as it is. */
    public function cancel(string $jobId): JobSnapshot;
}
