using Akka.Actor;
using SwanLab.Crawler.Actors;
using Xunit.Abstractions;

namespace SwanLab.Crawler.Tests.Actors;

public sealed class SlotGateSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public void Should_grant_at_most_capacity_slots_in_request_order()
    {
        var gate = Sys.ActorOf(SlotGateActor.Props(2));
        foreach (var token in new[] { "a", "b", "c" }) gate.Tell(new SlotGateProtocol.RequestSlot(token), TestActor);

        ExpectMsg(new SlotGateProtocol.SlotGranted("a"));
        ExpectMsg(new SlotGateProtocol.SlotGranted("b"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        gate.Tell(new SlotGateProtocol.ReleaseSlot("a"), TestActor);
        ExpectMsg(new SlotGateProtocol.SlotGranted("c"));
    }

    [Fact]
    public void Should_take_back_the_slots_of_a_requester_that_stopped()
    {
        var gate = Sys.ActorOf(SlotGateActor.Props(1));
        var crashed = CreateTestProbe();
        gate.Tell(new SlotGateProtocol.RequestSlot("held"), crashed.Ref);
        gate.Tell(new SlotGateProtocol.RequestSlot("queued"), crashed.Ref);
        crashed.ExpectMsg(new SlotGateProtocol.SlotGranted("held"));
        gate.Tell(new SlotGateProtocol.RequestSlot("next"), TestActor);

        Sys.Stop(crashed.Ref);

        ExpectMsg(new SlotGateProtocol.SlotGranted("next"));
        gate.Tell(SlotGateProtocol.GetGateStats.Instance, TestActor);
        Assert.Equal(new SlotGateProtocol.GateStats(InUse: 1, Queued: 0, MaxInUse: 1, Granted: 2), ExpectMsg<SlotGateProtocol.GateStats>());
    }

    [Fact]
    public void Should_grant_a_weighted_request_whole_and_in_order_and_cap_it_at_the_capacity()
    {
        var gate = Sys.ActorOf(SlotGateActor.Props(4));
        gate.Tell(new SlotGateProtocol.RequestSlot("three", 3), TestActor);
        ExpectMsg(new SlotGateProtocol.SlotGranted("three"));
        gate.Tell(new SlotGateProtocol.RequestSlot("two", 2), TestActor);
        gate.Tell(new SlotGateProtocol.RequestSlot("one", 1), TestActor);
        // "two" does not fit beside "three", and "one" (which would) waits behind it rather than overtaking it.
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        gate.Tell(new SlotGateProtocol.ReleaseSlot("three"), TestActor);
        ExpectMsg(new SlotGateProtocol.SlotGranted("two"));
        ExpectMsg(new SlotGateProtocol.SlotGranted("one"));
        gate.Tell(new SlotGateProtocol.RequestSlot("huge", 99), TestActor);
        gate.Tell(new SlotGateProtocol.ReleaseSlot("two"), TestActor);
        gate.Tell(new SlotGateProtocol.ReleaseSlot("one"), TestActor);
        ExpectMsg(new SlotGateProtocol.SlotGranted("huge"));
        gate.Tell(SlotGateProtocol.GetGateStats.Instance, TestActor);
        Assert.Equal(new SlotGateProtocol.GateStats(InUse: 4, Queued: 0, MaxInUse: 4, Granted: 4), ExpectMsg<SlotGateProtocol.GateStats>());
    }
}
