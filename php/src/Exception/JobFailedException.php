<?php

declare(strict_types=1);

namespace Plasm\Exception;

use Plasm\JobState;

/**
 * A job did not succeed: it ended with an outcome other than `completed` with exit code 0 (thrown by
 * Result::throwIfFailed()), or it never produced a result because it was cancelled or interrupted
 * (thrown by Job::wait() and Job::follow()).
 */
class JobFailedException extends \RuntimeException implements PlasmException
{
    private readonly JobState $state;

    /**
     * @param string $jobId the job's id
     * @param JobState|string $state Finished, Cancelled or Interrupted (or its name)
     * @param ?string $outcome the outcome kind when the job finished (`trapped`, `limit-exceeded`, ...)
     * @param ?int $exitCode the guest's exit code when it completed
     * @param ?string $detail the trap, limit or rejection kind
     */
    public function __construct(
        string $message,
        private readonly string $jobId,
        JobState|string $state,
        private readonly ?string $outcome = null,
        private readonly ?int $exitCode = null,
        private readonly ?string $detail = null
    ) {
        parent::__construct($message);
        $this->state = is_string($state) ? JobState::from($state) : $state;
    }

    public function jobId(): string
    {
        return $this->jobId;
    }

    /** The job's state: Finished, Cancelled or Interrupted. */
    public function jobState(): JobState
    {
        return $this->state;
    }

    /** The name of the job's state: `finished`, `cancelled` or `interrupted` (jobState()->value). */
    public function state(): string
    {
        return $this->state->value;
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
