import ArgumentParser

@main
struct Tonehost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tonehost",
        abstract: "A plugin host that answers visitors' questions from a knowledge base in the tone that suits them.",
        subcommands: [AskCommand.self, ServeCommand.self, DescribeServerCommand.self, PluginsCommand.self, IngestCommand.self, EvalCommand.self, ReembedCommand.self,
                      ConfigCommand.self, BackupCommand.self, RestoreCommand.self, PluginWorkerCommand.self])
}
