<?php

declare(strict_types=1);

namespace Plasm\Transport;

use Plasm\Attempt;
use Plasm\Exception\TransportException;
use Plasm\JobState;

/**
 * A job as a transport last saw it, in the shape of the daemon's job (docs/http-api.md, GET
 * /v1/jobs/{id}): `id`, `state`, and once it ended `outcome` {kind, exitCode, detail, message},
 * `usage`, `engineUsed`, `reason`; for a job sent to other peers `placement`, `redundancy`, `verify`,
 * `executedBy` and `attempts`, and on the executing peer `requester`. LocalTransport converts the
 * CLI's JSON to this shape, so Job and Result see one shape whichever transport ran the job. The
 * state is read here, once, as a JobState.
 */
final class JobSnapshot
{
    public readonly JobState $state;

    /**
     * @param array<string, mixed> $data
     * @throws TransportException when it is not a job, or its state is not one this SDK knows
     */
    public function __construct(public readonly array $data)
    {
        if (!is_string($data['id'] ?? null)) {
            throw new TransportException('the answer is not a job (it has no id)');
        }
        $this->state = JobState::parse($data['state'] ?? null, "the daemon's job {$data['id']}");
    }

    public function id(): string
    {
        return $this->data['id'];
    }

    public function ended(): bool
    {
        return $this->state->ended();
    }

    /** @return ?array{kind: string, exitCode?: int, detail?: string, message?: string} */
    public function outcome(): ?array
    {
        return $this->data['outcome'] ?? null;
    }

    /**
     * The peers whose answer was accepted (several with redundancy); empty for a job run by the node
     * it was submitted to.
     *
     * @return list<string>
     */
    public function executedBy(): array
    {
        $by = $this->data['executedBy'] ?? [];
        if (!is_array($by) || !array_is_list($by) || array_filter($by, 'is_string') !== $by) {
            throw new TransportException(
                "the daemon's job {$this->id()} has an 'executedBy' that is not a list of peer ids"
            );
        }
        return $by;
    }

    /**
     * The tries on other peers, oldest first; empty for a job run by the node it was submitted to.
     *
     * @return list<Attempt>
     */
    public function attempts(): array
    {
        $attempts = $this->data['attempts'] ?? [];
        if (!is_array($attempts) || !array_is_list($attempts)) {
            throw new TransportException("the daemon's job {$this->id()} has an 'attempts' that is not a list");
        }
        $list = [];
        foreach ($attempts as $i => $a) {
            if (!is_array($a)) {
                throw new TransportException(
                    "the daemon's job {$this->id()} has an attempts[$i] that is not an object"
                );
            }
            $list[] = Attempt::fromArray($a, "job {$this->id()} attempts[$i]");
        }
        return $list;
    }

    /**
     * On an executing peer, the node that sent the job here and the job's id there.
     *
     * @return ?array{peerId: string, jobId: string}
     */
    public function requester(): ?array
    {
        $r = $this->data['requester'] ?? null;
        if ($r === null) {
            return null;
        }
        if (!is_array($r) || !is_string($r['peerId'] ?? null) || !is_string($r['jobId'] ?? null)) {
            throw new TransportException("the daemon's job {$this->id()} has a 'requester' without peerId and jobId");
        }
        return ['peerId' => $r['peerId'], 'jobId' => $r['jobId']];
    }
}
