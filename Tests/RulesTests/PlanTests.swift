import Rules
import Testing

struct PlanTests {
    @Test("max_actions explains itself with the count and the configured limit")
    func maxActionsDetail() {
        let abort = Plan.Abort.maxActions(selected: 101, limit: 100)
        #expect(abort.limitName == "max_actions")
        #expect(abort.detail == "101 actions planned, more than max_actions_per_run = 100")
        #expect(abort.description == abort.detail)
    }

    @Test(
        "max_fraction explains itself with the count, the listing and both shares as percentages",
        arguments: [
            (101, 1000, 0.1, "101 of 1000 registrations (10.1%) planned, more than max_fraction = 0.1 (10%)"),
            (3, 7, 0.25, "3 of 7 registrations (42.86%) planned, more than max_fraction = 0.25 (25%)"),
            (1, 1, 0.0, "1 of 1 registration (100%) planned, more than max_fraction = 0.0 (0%)"),
            (2, 100, 0.015, "2 of 100 registrations (2%) planned, more than max_fraction = 0.015 (1.5%)"),
        ]
    )
    func maxFractionDetail(selected: Int, listed: Int, limit: Double, detail: String) {
        let abort = Plan.Abort.maxFraction(selected: selected, listed: listed, limit: limit)
        #expect(abort.limitName == "max_fraction")
        #expect(abort.detail == detail)
    }
}
