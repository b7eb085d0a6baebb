<?php

declare(strict_types=1);

namespace Plasm;

use Plasm\Exception\TransportException;

/**
 * Where a job is in its life, by its name in the daemon's API (`state` in docs/http-api.md): the
 * same states, in the same order, as the daemon's `dev.plasm.api.JobState`. Only Queued and Running
 * are not final.
 */
enum JobState: string
{
    /** Accepted and durable, waiting for an executor. */
    case Queued = 'queued';
    /** Running (on the daemon's node, or out on another node). */
    case Running = 'running';
    /** Ran to an outcome: the job has a Result. */
    case Finished = 'finished';
    /** Cancelled by a client, before it started or while it ran: no Result. */
    case Cancelled = 'cancelled';
    /** Stopped by its node (shutdown, crash), before it started or while it ran: no Result. */
    case Interrupted = 'interrupted';

    /** Whether the job has ended: it will not change state again. */
    public function ended(): bool
    {
        return $this !== self::Queued && $this !== self::Running;
    }

    /**
     * The state with this name, as a daemon or the `plasm` command sent it.
     *
     * @param string $what what was read, for the message (e.g. "the daemon's job 01a2...")
     * @throws TransportException naming the value and the states there are, for a name this SDK
     *     does not know (a newer daemon's, or not a state at all)
     */
    public static function parse(mixed $name, string $what): self
    {
        $state = is_string($name) ? self::tryFrom($name) : null;
        if ($state === null) {
            throw new TransportException(
                "$what has " . (is_string($name) ? "the state '$name'" : 'no state')
                    . ', which is not one of ' . implode(', ', self::names())
                    . (is_string($name) ? '; is the daemon newer than this SDK?' : '')
            );
        }
        return $state;
    }

    /**
     * The names, in the order of a job's life.
     *
     * @return list<string>
     */
    public static function names(): array
    {
        return array_map(static fn (self $s): string => $s->value, self::cases());
    }
}
