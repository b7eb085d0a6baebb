<?php

declare(strict_types=1);

namespace Plasm\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Plasm\Client;
use Plasm\Exception\JobFailedException;
use Plasm\Exception\TransportException;
use Plasm\Exception\WaitTimeoutException;
use Plasm\JobState;
use Plasm\Tests\ScriptedServer;
use Plasm\Transport\JobSnapshot;

/**
 * Job states: the daemon's names (docs/http-api.md, docs/openapi.yaml's State), read once where a
 * job arrives, and a name the SDK does not know refused naming it.
 */
final class JobStateTests extends TestCase
{
    private const ID = '01a2416855cc-02dbdb517541dd0b';

    private ?ScriptedServer $server = null;

    protected function tearDown(): void
    {
        $this->server?->stop();
    }

    public function testTheNamesAreTheDaemonsInTheOrderOfAJobsLife(): void
    {
        self::assertSame(['queued', 'running', 'finished', 'cancelled', 'interrupted'], JobState::names());
        // The same list as the API's description of a job.
        $openapi = (string) file_get_contents(__DIR__ . '/../../../docs/openapi.yaml');
        self::assertMatchesRegularExpression(
            '/\n    State:\n      type: string\n      enum: \[' . implode(', ', JobState::names()) . '\]\n/',
            $openapi
        );
    }

    public function testOnlyQueuedAndRunningHaveNotEnded(): void
    {
        $notEnded = array_values(array_filter(JobState::cases(), static fn (JobState $s): bool => !$s->ended()));
        self::assertSame([JobState::Queued, JobState::Running], $notEnded);
    }

    public function testAJobsStateIsReadOnceAsAJobState(): void
    {
        foreach (JobState::cases() as $state) {
            $snapshot = new JobSnapshot(['id' => self::ID, 'state' => $state->value]);
            self::assertSame($state, $snapshot->state);
            self::assertSame($state->ended(), $snapshot->ended());
        }
    }

    public function testAStateTheSdkDoesNotKnowIsRefusedNamingItAndTheStatesThereAre(): void
    {
        try {
            new JobSnapshot(['id' => self::ID, 'state' => 'paused']);
            self::fail('an unknown state was accepted');
        } catch (TransportException $e) {
            self::assertSame(
                "the daemon's job " . self::ID . " has the state 'paused', which is not one of queued, running, "
                    . 'finished, cancelled, interrupted; is the daemon newer than this SDK?',
                $e->getMessage()
            );
        }
        $this->expectException(TransportException::class);
        $this->expectExceptionMessage("the daemon's job " . self::ID . ' has no state, which is not one of queued');
        new JobSnapshot(['id' => self::ID, 'state' => 7]);
    }

    public function testADaemonAnsweringAnUnknownStateIsATransportErrorAtTheClient(): void
    {
        $this->server = new ScriptedServer([
            ['status' => 200, 'body' => json_encode(['id' => self::ID, 'state' => 'finished'])],
            ['status' => 200, 'body' => json_encode(['id' => self::ID, 'state' => 'paused'])],
        ]);
        $client = new Client(['daemon_url' => $this->server->url, 'token' => 'tok']);
        $job = $client->job(self::ID);
        self::assertSame(JobState::Finished, $job->state());
        self::assertSame('finished', $job->status(), 'the name, as before');
        $this->expectException(TransportException::class);
        $this->expectExceptionMessage("has the state 'paused'");
        $client->job(self::ID);
    }

    public function testTheExceptionsCarryTheStateAndItsName(): void
    {
        $failed = new JobFailedException('m', self::ID, JobState::Cancelled);
        self::assertSame(JobState::Cancelled, $failed->jobState());
        self::assertSame('cancelled', $failed->state());
        $byName = new JobFailedException('m', self::ID, 'interrupted');
        self::assertSame(JobState::Interrupted, $byName->jobState());
        $late = new WaitTimeoutException('m', self::ID, JobState::Running);
        self::assertSame(JobState::Running, $late->jobState());
        self::assertSame('running', $late->state());
    }
}
