<?php

declare(strict_types=1);

namespace Plasm;

use Plasm\Exception\TransportException;

/**
 * One try of a job on one executing peer (docs/remote.md, "Observing it"): who, when, how it ended,
 * and the job's id on that peer (the id its receipt names). A job sent to other peers lists them in
 * Job::attempts() and Result::attempts(), oldest first.
 */
final class Attempt
{
    /** Still out on the peer. */
    public const RUNNING = 'running';
    /** The peer's result passed every check (for redundancy: and agreed with the majority). */
    public const OK = 'ok';
    /** The peer refused the job (detail: its code, e.g. `busy`, `limits-too-high`). */
    public const REFUSED = 'refused';
    /** The connection or the job was lost (detail: what). */
    public const LOST = 'lost';
    /** The result failed a check (detail: `<check>: ...`); counted as a lie against the peer. */
    public const INVALID = 'invalid';
    /** Outvoted: the peer's answer differed from the accepted one. */
    public const DISAGREED = 'disagreed';
    /** The requesting node stopped while the attempt was out. */
    public const INTERRUPTED = 'interrupted';

    /**
     * @param string $peerId the executing peer (12D3KooW...)
     * @param ?\DateTimeImmutable $endedAt null while the attempt runs
     * @param string $result one of the constants above (a newer daemon may add others)
     * @param ?string $detail the refusal code, the check that failed, or what was lost
     * @param ?string $executorJobId the job's id on the peer, once it accepted the job
     */
    public function __construct(
        public readonly string $peerId,
        public readonly \DateTimeImmutable $startedAt,
        public readonly ?\DateTimeImmutable $endedAt,
        public readonly string $result,
        public readonly ?string $detail,
        public readonly ?string $executorJobId
    ) {
    }

    /**
     * An attempt from a job's JSON (`attempts[i]` of GET /v1/jobs/{id}).
     *
     * @param array<mixed> $a
     * @throws TransportException when it is not an attempt
     */
    public static function fromArray(array $a, string $where = 'attempt'): self
    {
        $text = static function (string $name, bool $required) use ($a, $where): ?string {
            $v = $a[$name] ?? null;
            if (($v === null && $required) || ($v !== null && !is_string($v))) {
                throw new TransportException("the daemon's $where has no string '$name'"
                    . ($v === null ? '' : ' (it is ' . get_debug_type($v) . ')'));
            }
            return $v;
        };
        $time = static function (string $name, bool $required) use ($text, $where): ?\DateTimeImmutable {
            $v = $text($name, $required);
            if ($v === null) {
                return null;
            }
            // RFC 3339 as Java's Instant prints it (up to nanoseconds; PHP keeps microseconds).
            $re = '/\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)\z/';
            if (preg_match($re, $v) !== 1) {
                throw new TransportException("the daemon's $where has '$name' '$v', which is not an RFC 3339 time");
            }
            return new \DateTimeImmutable((string) preg_replace('/(\.\d{6})\d+/', '$1', $v));
        };
        return new self(
            (string) $text('peerId', true),
            $time('startedAt', true),
            $time('endedAt', false),
            (string) $text('result', true),
            $text('detail', false),
            $text('executorJobId', false)
        );
    }

    /** Whether the attempt is still out on the peer. */
    public function running(): bool
    {
        return $this->result === self::RUNNING;
    }

    /** Whether this peer's result was accepted. */
    public function ok(): bool
    {
        return $this->result === self::OK;
    }
}
