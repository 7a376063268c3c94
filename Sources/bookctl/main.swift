import AdminCommands

await AdminCommandLine.run(arguments: Array(CommandLine.arguments.dropFirst()))
