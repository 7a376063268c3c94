import AvailabilityService
import DaemonKit

await DaemonRunner.main(name: AvailabilityDaemon.name, build: AvailabilityDaemon.services)
