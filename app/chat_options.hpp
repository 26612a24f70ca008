// --chat, --system and --messages: a command's TEXT taken as a user's message in a conversation,
// and the conversation rendered by the model's chat template into the prompt the task sees.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tokprob::cli {

struct ChatOptions {
  bool chat = false;
  std::optional<std::string> system;
  std::string messages_file;
};

// Adds --chat, --system TEXT and --messages FILE.json; `texts` (the command's TEXT...) becomes
// optional, as --messages alone is a conversation.
void add_chat_options(CLI::App& sub, ChatOptions& options, CLI::Option* texts);

// Whether any of the three was given: the command then renders its prompts (and refuses --input,
// whose lines are plain texts).
bool chat_requested(const CLI::App& sub, const ChatOptions& options);

// Usage errors of a chat command: --input given, or neither TEXT nor --messages.
void check_chat_usage(const CLI::App& sub, const ChatOptions& options, const std::vector<std::string>& texts);

// The conversations of the command as JSON message lists: for each TEXT, --system (as a system
// message), the messages of --messages and TEXT as a user message; without TEXT, the one
// conversation of --system and --messages.
std::vector<std::string> chat_conversations(const ChatOptions& options, const std::vector<std::string>& texts);

// The prompts: each conversation rendered by the chat template of `dir`.
std::vector<std::string> chat_prompts(const ChatOptions& options, const std::filesystem::path& dir,
                                      const std::vector<std::string>& texts, bool add_generation_prompt);

}  // namespace tokprob::cli
