<?php

declare(strict_types=1);

namespace Plasm\Exception;

/**
 * Job::wait() or Job::follow() gave up after the caller's timeout while the job was still queued or
 * running; the job itself goes on (cancel it with Job::cancel()).
 */
class WaitTimeoutException extends \RuntimeException implements PlasmException
{
    public function __construct(string $message, private readonly string $jobId, private readonly string $state)
    {
        parent::__construct($message);
    }

    public function jobId(): string
    {
        return $this->jobId;
    }

    /** The job's state when the wait ended: `queued` or `running`. */
    public function state(): string
    {
        return $this->state;
    }
}
