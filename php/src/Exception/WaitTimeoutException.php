<?php

declare(strict_types=1);

namespace Plasm\Exception;

use Plasm\JobState;

/**
 * Job::wait() or Job::follow() gave up after the caller's timeout while the job was still queued or
 * running; the job itself goes on (cancel it with Job::cancel()).
 */
class WaitTimeoutException extends \RuntimeException implements PlasmException
{
    private readonly JobState $state;

    /** @param JobState|string $state Queued or Running (or its name) */
    public function __construct(string $message, private readonly string $jobId, JobState|string $state)
    {
        parent::__construct($message);
        $this->state = is_string($state) ? JobState::from($state) : $state;
    }

    public function jobId(): string
    {
        return $this->jobId;
    }

    /** The job's state when the wait ended: Queued or Running. */
    public function jobState(): JobState
    {
        return $this->state;
    }

    /** The name of the job's state when the wait ended: `queued` or `running` (jobState()->value). */
    public function state(): string
    {
        return $this->state->value;
    }
}
