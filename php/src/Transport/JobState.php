<?php

declare(strict_types=1);

namespace Plasm\Transport;

/**
 * A job as a transport last saw it, in the shape of the daemon's job (docs/http-api.md, GET
 * /v1/jobs/{id}): `id`, `state`, and once it ended `outcome` {kind, exitCode, detail, message},
 * `usage`, `engineUsed`, `reason`. LocalTransport converts the CLI's JSON to this shape, so Job and
 * Result see one shape whichever transport ran the job.
 */
final class JobState
{
    public const ENDED = ['finished', 'cancelled', 'interrupted'];

    /** @param array<string, mixed> $data */
    public function __construct(public readonly array $data)
    {
        if (!is_string($data['id'] ?? null) || !is_string($data['state'] ?? null)) {
            throw new \Plasm\Exception\TransportException('the answer is not a job (it has no id or state)');
        }
    }

    public function id(): string
    {
        return $this->data['id'];
    }

    /** `queued`, `running`, `finished`, `cancelled` or `interrupted`. */
    public function state(): string
    {
        return $this->data['state'];
    }

    public function ended(): bool
    {
        return in_array($this->state(), self::ENDED, true);
    }

    /** @return ?array{kind: string, exitCode?: int, detail?: string, message?: string} */
    public function outcome(): ?array
    {
        return $this->data['outcome'] ?? null;
    }
}
