import DaemonKit
import WebFrontend

await DaemonRunner.main(name: WebDaemon.name, build: WebDaemon.services)
