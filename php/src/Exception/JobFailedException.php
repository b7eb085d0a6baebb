<?php

declare(strict_types=1);

namespace Plasm\Exception;

/**
 * A job did not succeed: it ended with an outcome other than `completed` with exit code 0 (thrown by
 * Result::throwIfFailed()), or it never produced a result because it was cancelled or interrupted
 * (thrown by Job::wait() and Job::follow()).
 */
class JobFailedException extends \RuntimeException implements PlasmException
{
    /**
     * @param string $jobId the job's id
     * @param string $state `finished`, `cancelled` or `interrupted`
     * @param ?string $outcome the outcome kind when the job finished (`trapped`, `limit-exceeded`, ...)
     * @param ?int $exitCode the guest's exit code when it completed
     * @param ?string $detail the trap, limit or rejection kind
     */
    public function __construct(
        string $message,
        private readonly string $jobId,
        private readonly string $state,
        private readonly ?string $outcome = null,
        private readonly ?int $exitCode = null,
        private readonly ?string $detail = null
    ) {
        parent::__construct($message);
    }

    public function jobId(): string
    {
        return $this->jobId;
    }

    /** `finished`, `cancelled` or `interrupted`. */
    public function state(): string
    {
        return $this->state;
    }

    /** `completed` (with a non-zero exit code), `trapped`, `limit-exceeded`, `rejected`, `failed`; null when the job never finished. */
    public function outcome(): ?string
    {
        return $this->outcome;
    }

    public function exitCode(): ?int
    {
        return $this->exitCode;
    }

    /** The trap (`unreachable`), limit (`wall-time`) or rejection (`malformed`) kind. */
    public function detail(): ?string
    {
        return $this->detail;
    }
}
