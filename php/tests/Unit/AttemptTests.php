<?php

declare(strict_types=1);

namespace Plasm\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Plasm\Attempt;
use Plasm\Exception\TransportException;
use Plasm\Transport\JobSnapshot;

/**
 * Jobs across peers as the daemon describes them (docs/remote.md, "Observing it"): the requester's
 * view (executedBy, attempts) and the executor's (requester). RemotePeersIntegrationTests reads the
 * same fields from real daemons.
 */
final class AttemptTests extends TestCase
{
    private const B = '12D3KooWMcRaLtkCAG8vQEPJhV7E8K5F3tSzgkp4nb46NtivgJBd';
    private const C = '12D3KooWH3uVF6wv47WnArKHk5p6cvgCJEb74UTmxztmQDc298L3';

    /** A job of a requester in the shape JobRecordJson writes it (Instant.toString times). */
    private static function requested(): JobSnapshot
    {
        return new JobSnapshot(['id' => '01a2416855cc-02dbdb517541dd0b', 'state' => 'finished',
            'placement' => 'remote', 'redundancy' => 2, 'verify' => 'receipt', 'executedBy' => [self::B, self::C],
            'attempts' => [
                ['peerId' => self::C, 'startedAt' => '2026-12-04T15:00:00.123456789Z', 'result' => 'refused',
                    'endedAt' => '2026-12-04T15:00:00.2Z', 'detail' => 'busy'],
                ['peerId' => self::B, 'startedAt' => '2026-12-04T15:00:01Z', 'endedAt' => '2026-12-04T15:00:02.5Z',
                    'result' => 'ok', 'executorJobId' => '01a2416855cd-0000000000000001'],
                ['peerId' => self::C, 'startedAt' => '2026-12-04T15:00:01.5Z', 'result' => 'running'],
            ]]);
    }

    public function testAttemptsAreTypedValuesInTheDaemonsOrder(): void
    {
        $state = self::requested();
        self::assertSame([self::B, self::C], $state->executedBy());
        [$refused, $ok, $running] = $state->attempts();

        self::assertSame(self::C, $refused->peerId);
        self::assertSame(Attempt::REFUSED, $refused->result);
        self::assertSame('busy', $refused->detail);
        self::assertNull($refused->executorJobId);
        self::assertFalse($refused->ok());
        self::assertSame('2026-12-04 15:00:00.123456 +00:00', $refused->startedAt->format('Y-m-d H:i:s.u P'));
        self::assertSame('2026-12-04 15:00:00.200000', $refused->endedAt?->format('Y-m-d H:i:s.u'));

        self::assertTrue($ok->ok());
        self::assertSame('01a2416855cd-0000000000000001', $ok->executorJobId);
        $took = (float) $ok->endedAt?->format('U.u') - (float) $ok->startedAt->format('U.u');
        self::assertEqualsWithDelta(1.5, $took, 1e-6);

        self::assertTrue($running->running());
        self::assertNull($running->endedAt);
        self::assertNull($state->requester());
    }

    public function testAJobThisNodeRanHasNoAttemptsAndAnExecutorNamesItsRequester(): void
    {
        $local = new JobSnapshot(['id' => 'x', 'state' => 'finished']);
        self::assertSame([], $local->executedBy());
        self::assertSame([], $local->attempts());
        self::assertNull($local->requester());

        $there = new JobSnapshot(['id' => 'y', 'state' => 'running',
            'requester' => ['peerId' => self::B, 'jobId' => '01a2416855cc-02dbdb517541dd0b']]);
        self::assertSame(['peerId' => self::B, 'jobId' => '01a2416855cc-02dbdb517541dd0b'], $there->requester());
    }

    public function testAttemptsAreReadOnly(): void
    {
        $attempt = self::requested()->attempts()[0];
        $this->expectException(\Error::class);
        $this->expectExceptionMessage('readonly');
        // @phpstan-ignore-next-line
        $attempt->result = 'ok';
    }

    /** @return array<string, array{array<string, mixed>, string}> */
    public static function malformed(): array
    {
        $a = ['peerId' => self::B, 'startedAt' => '2026-12-04T15:00:01Z', 'result' => 'ok'];
        return [
            'no peer' => [['attempts' => [['peerId' => null] + $a]], "attempts[0] has no string 'peerId'"],
            'a number for a result' => [['attempts' => [['result' => 1] + $a]], "'result' (it is int)"],
            'a time that is not RFC 3339' => [['attempts' => [['startedAt' => 'yesterday'] + $a]],
                "'startedAt' 'yesterday', which is not an RFC 3339 time"],
            'an attempt that is not an object' => [['attempts' => ['ok']], 'attempts[0] that is not an object'],
            'attempts that are not a list' => [['attempts' => ['a' => $a]], "'attempts' that is not a list"],
            'executedBy with a number' => [['executedBy' => [self::B, 7]], "'executedBy' that is not a list"],
            'a requester without a job id' => [['requester' => ['peerId' => self::B]], "'requester' without"],
        ];
    }

    /**
     * @dataProvider malformed
     * @param array<string, mixed> $fields
     */
    public function testAMalformedAnswerIsATransportErrorNamingTheField(array $fields, string $message): void
    {
        $state = new JobSnapshot(['id' => 'j', 'state' => 'finished'] + $fields);
        $this->expectException(TransportException::class);
        $this->expectExceptionMessage($message);
        $state->executedBy();
        $state->attempts();
        $state->requester();
    }
}
