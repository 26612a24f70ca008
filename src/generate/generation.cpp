#include "generate/generation.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <string>

#include "generate/sampler.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

bool is_eos(const GenerationConfig& c, int32_t id) {
  return std::find(c.eos_token_ids.begin(), c.eos_token_ids.end(), id) != c.eos_token_ids.end();
}

// Whether a sequence of `length` tokens can take one more token through the model.
bool fits(const CausalLM& model, int64_t length) {
  const int64_t max_pos = model.info().max_positions;
  return max_pos <= 0 || length < max_pos;
}

void check_config(const GenerationConfig& c) {
  if (c.max_new_tokens < 0) usage_error("max_new_tokens must be 0 or more, got " + std::to_string(c.max_new_tokens));
  if (c.num_beams < 1) usage_error("num_beams must be at least 1, got " + std::to_string(c.num_beams));
  if (c.num_return_sequences < 1)
    usage_error("num_return_sequences must be at least 1, got " + std::to_string(c.num_return_sequences));
  if (c.top_logprobs < 0) usage_error("logprobs must be 0 or more, got " + std::to_string(c.top_logprobs));
  const auto& s = c.sampling;
  if (!(s.repetition_penalty > 0))
    usage_error("repetition_penalty must be positive, got " + std::to_string(s.repetition_penalty));
  if (c.do_sample) {
    if (!(s.temperature > 0)) usage_error("temperature must be positive to sample, got " + std::to_string(s.temperature));
    if (s.top_k < 0) usage_error("top_k must be 0 (off) or more, got " + std::to_string(s.top_k));
    if (!(s.top_p > 0 && s.top_p <= 1)) usage_error("top_p must be in (0, 1], got " + std::to_string(s.top_p));
    if (!(s.min_p >= 0 && s.min_p <= 1)) usage_error("min_p must be in [0, 1], got " + std::to_string(s.min_p));
    if (c.num_beams > 1) usage_error("sampling with num_beams > 1 (beam sampling) is not supported; use num_beams 1");
  } else if (c.num_beams == 1 && c.num_return_sequences > 1) {
    usage_error("greedy decoding returns one sequence; num_return_sequences > 1 needs sampling or beams");
  }
  if (c.num_beams > 1 && c.num_return_sequences > c.num_beams)
    usage_error("num_return_sequences (" + std::to_string(c.num_return_sequences) + ") must not exceed num_beams (" +
                std::to_string(c.num_beams) + ")");
}

std::vector<float> run_prompt(const CausalLM& model, std::span<const int32_t> prompt, DecoderState& state) {
  if (prompt.empty()) usage_error("generation needs a prompt of at least one token");
  DecodeChunk ch{&state, prompt, {static_cast<int64_t>(prompt.size()) - 1}};
  return model.forward(std::span(&ch, 1));
}

GeneratedStep make_step(const Distribution& raw, int32_t id, double processed, int64_t top_k) {
  GeneratedStep st;
  st.id = id;
  st.logprob = raw.logprob(id);
  st.logit = raw.logit(id);
  st.rank = raw.rank(id);
  st.processed_logprob = processed;
  if (top_k > 0) st.top = raw.top_k(top_k);
  return st;
}

// Greedy decoding and sampling: each sequence on its own, all of them through one batch per step.
std::vector<GeneratedSequence> decode_independent(const CausalLM& model, std::span<const int32_t> prompt,
                                                  const GenerationConfig& c, const TokenObserver& observer) {
  const int64_t V = model.info().vocab_size;
  const auto n = static_cast<size_t>(c.num_return_sequences);
  const LogitsChain chain = make_logits_chain(c.sampling, c.do_sample, 1, c.constraints);
  TokenSampler sampler(c.seed);

  std::vector<std::unique_ptr<DecoderState>> states;
  states.push_back(model.new_state());
  const std::vector<float> first = run_prompt(model, prompt, *states[0]);
  for (size_t i = 1; i < n; ++i) states.push_back(states[0]->clone());

  std::vector<GeneratedSequence> seqs(n);
  std::vector<std::vector<int32_t>> context(n, std::vector<int32_t>(prompt.begin(), prompt.end()));
  std::vector<float> logits;  // one row per active sequence, in `active` order
  std::vector<size_t> active;
  for (size_t i = 0; i < n; ++i) {
    active.push_back(i);
    logits.insert(logits.end(), first.begin(), first.end());
  }
  if (c.max_new_tokens == 0) return seqs;
  std::vector<float> scores(V);
  while (!active.empty()) {
    std::vector<size_t> still;
    for (size_t a = 0; a < active.size(); ++a) {
      const size_t i = active[a];
      const std::span<const float> row(logits.data() + a * V, V);
      const Distribution raw(row);
      std::copy(row.begin(), row.end(), scores.begin());
      chain.apply(scores, context[i]);
      // Greedy takes the first maximum (lowest id), as torch.argmax does.
      const int32_t id = c.do_sample ? sampler.sample(scores)
                                     : static_cast<int32_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
      const Distribution processed(scores);
      auto& seq = seqs[i];
      seq.steps.push_back(make_step(raw, id, processed.logprob(id), c.top_logprobs));
      seq.new_ids.push_back(id);
      seq.score += seq.steps.back().logprob;
      context[i].push_back(id);
      if (is_eos(c, id)) {
        seq.finish = FinishReason::eos;
      } else if (observer && observer(i, seq)) {
        seq.finish = FinishReason::stop;
      } else if (static_cast<int64_t>(seq.new_ids.size()) >= c.max_new_tokens ||
                 !fits(model, static_cast<int64_t>(context[i].size()) - 1)) {
        seq.finish = FinishReason::length;
      } else {
        still.push_back(i);
      }
    }
    active = std::move(still);
    if (active.empty()) break;
    std::vector<DecodeChunk> chunks;
    for (size_t i : active) chunks.push_back({states[i].get(), std::span(&context[i].back(), 1), {0}});
    logits = model.forward(chunks);
  }
  return seqs;
}

// Finished hypotheses of beam search, kept as transformers' BeamHypotheses keeps them.
class FinishedHypotheses {
 public:
  struct Hyp {
    double score;
    GeneratedSequence seq;
  };
  FinishedHypotheses(int64_t num_beams, double length_penalty, EarlyStopping es, int64_t max_new_tokens)
      : num_beams_(num_beams), lp_(length_penalty), es_(es), max_new_(max_new_tokens) {}

  size_t size() const { return hyps_.size(); }

  void add(GeneratedSequence seq, double sum_scores, int64_t generated_len) {
    const double score = sum_scores / std::pow(static_cast<double>(generated_len), lp_);
    if (static_cast<int64_t>(hyps_.size()) < num_beams_ || score > worst_) {
      seq.score = score;
      hyps_.push_back({score, std::move(seq)});
      if (static_cast<int64_t>(hyps_.size()) > num_beams_) {
        // Drop the worst (the earliest added among equals); the next worst becomes the bar.
        std::vector<size_t> order(hyps_.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return hyps_[a].score < hyps_[b].score; });
        worst_ = hyps_[order[1]].score;
        hyps_.erase(hyps_.begin() + static_cast<std::ptrdiff_t>(order[0]));
      } else {
        worst_ = std::min(score, worst_);
      }
    }
  }

  // `best_sum` is the best score of a beam that goes on after this step (EOS candidates finished),
  // `generated_len` the length it was scored at.
  bool is_done(double best_sum, int64_t generated_len) const {
    if (static_cast<int64_t>(hyps_.size()) < num_beams_) return false;
    switch (es_) {
      case EarlyStopping::enough: return true;
      case EarlyStopping::heuristic:
        return worst_ >= best_sum / std::pow(static_cast<double>(generated_len), lp_);
      case EarlyStopping::never: {
        const int64_t len = lp_ > 0 ? max_new_ : generated_len;
        return worst_ >= best_sum / std::pow(static_cast<double>(len), lp_);
      }
    }
    return false;
  }

  // Best first; equal scores: the later added first (Python's stable sort, then pop()).
  std::vector<GeneratedSequence> best(int64_t n) {
    std::stable_sort(hyps_.begin(), hyps_.end(), [](const Hyp& a, const Hyp& b) { return a.score < b.score; });
    std::vector<GeneratedSequence> out;
    for (int64_t i = 0; i < n && !hyps_.empty(); ++i) {
      out.push_back(std::move(hyps_.back().seq));
      hyps_.pop_back();
    }
    return out;
  }

 private:
  int64_t num_beams_;
  double lp_;
  EarlyStopping es_;
  int64_t max_new_;
  double worst_ = 1e9;
  std::vector<Hyp> hyps_;
};

struct Beam {
  std::unique_ptr<DecoderState> state;
  GeneratedSequence seq;
  float score = 0;  // float32 running sum, as the reference keeps beam_scores
};

struct Candidate {
  float score;
  int64_t flat;  // beam * V + token
};
// Higher score first, then lower flat index.
bool better(const Candidate& a, const Candidate& b) { return a.score > b.score || (a.score == b.score && a.flat < b.flat); }

}  // namespace

std::vector<GeneratedSequence> beam_search(const StepDecoder& decoder, std::unique_ptr<DecoderState> start,
                                           std::span<const float> first, std::span<const int32_t> prompt,
                                           const GenerationConfig& c) {
  check_config(c);
  const int64_t V = decoder.vocab_size;
  const int64_t B = c.num_beams;
  const LogitsChain chain = make_logits_chain(c.sampling, /*sampling=*/false, 1, c.constraints);
  FinishedHypotheses finished(B, c.length_penalty, c.early_stopping, c.max_new_tokens);

  std::vector<Beam> beams(static_cast<size_t>(B));
  beams[0].state = std::move(start);
  for (int64_t b = 1; b < B; ++b) {
    beams[b].state = beams[0].state->clone();
    beams[b].score = -1e9f;  // all beams start equal: only the first may expand at step one
  }
  if (c.max_new_tokens == 0) {
    std::vector<GeneratedSequence> out(static_cast<size_t>(c.num_return_sequences));
    return out;
  }
  std::vector<float> logits;
  for (int64_t b = 0; b < B; ++b) logits.insert(logits.end(), first.begin(), first.end());

  const auto prompt_len = static_cast<int64_t>(prompt.size());
  const size_t n_cand = static_cast<size_t>(std::max<int64_t>(2, 1 + static_cast<int64_t>(c.eos_token_ids.size())) * B);
  bool done = false;
  int64_t generated = 0;
  std::vector<float> processed(static_cast<size_t>(B * V));
  while (true) {
    // Candidates: processed log-softmax + beam score, the best n_cand over all beams.
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(&better)> heap(&better);  // worst on top
    std::vector<std::vector<int32_t>> contexts(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) {
      const std::span<const float> row(logits.data() + b * V, V);
      const Distribution raw(row);
      float* p = processed.data() + b * V;
      for (int64_t v = 0; v < V; ++v) p[v] = static_cast<float>(raw.logprob(static_cast<int32_t>(v)));
      contexts[b].assign(prompt.begin(), prompt.end());
      contexts[b].insert(contexts[b].end(), beams[b].seq.new_ids.begin(), beams[b].seq.new_ids.end());
      chain.apply(std::span<float>(p, V), contexts[b]);
      for (int64_t v = 0; v < V; ++v) {
        const Candidate cand{p[v] + beams[b].score, b * V + v};
        if (heap.size() < n_cand) {
          heap.push(cand);
        } else if (better(cand, heap.top())) {
          heap.pop();
          heap.push(cand);
        }
      }
    }
    std::vector<Candidate> cands;
    while (!heap.empty()) {
      cands.push_back(heap.top());
      heap.pop();
    }
    std::reverse(cands.begin(), cands.end());

    const int64_t cur_len = generated + 1;  // generated tokens counting this step's
    // The last step (max_new_tokens, or the model's positions): as in the reference, every one of
    // the top num_beams candidates then finishes, EOS or not, and competes with those finished before.
    const bool last = cur_len >= c.max_new_tokens || !decoder.fits(prompt_len + generated);
    struct Next {
      int64_t parent;
      int32_t id;
      float score;
    };
    std::vector<Next> next;
    for (size_t rank = 0; rank < cands.size() && static_cast<int64_t>(next.size()) < B; ++rank) {
      const int64_t b = cands[rank].flat / V;
      const auto id = static_cast<int32_t>(cands[rank].flat % V);
      const bool eos = is_eos(c, id);
      if (eos || last) {
        // Only the top num_beams candidates can finish; the others are backups for the beams.
        if (static_cast<int64_t>(rank) >= B) continue;
        GeneratedSequence seq = beams[b].seq;
        const Distribution raw(std::span<const float>(logits.data() + b * V, V));
        seq.steps.push_back(make_step(raw, id, processed[b * V + id], c.top_logprobs));
        seq.new_ids.push_back(id);
        seq.finish = eos ? FinishReason::eos : FinishReason::length;
        finished.add(std::move(seq), cands[rank].score, cur_len);
      } else {
        next.push_back({b, id, cands[rank].score});
      }
    }
    if (last) break;
    if (static_cast<int64_t>(next.size()) < B) fail("internal: beam search ran out of candidates");
    // Whether the best beam that goes on (not an EOS candidate) can still beat the finished ones.
    done = done || finished.is_done(next.front().score, cur_len);

    // The new beams: a parent's state moves to its first child and is cloned for the others.
    std::vector<int64_t> uses(static_cast<size_t>(B), 0);
    for (const auto& nx : next) ++uses[nx.parent];
    std::vector<Beam> grown(static_cast<size_t>(B));
    for (size_t k = 0; k < next.size(); ++k) {
      const auto& nx = next[k];
      Beam& parent = beams[nx.parent];
      Beam& child = grown[k];
      child.seq = parent.seq;
      const Distribution raw(std::span<const float>(logits.data() + nx.parent * V, V));
      child.seq.steps.push_back(make_step(raw, nx.id, processed[nx.parent * V + nx.id], c.top_logprobs));
      child.seq.new_ids.push_back(nx.id);
      child.score = nx.score;
      child.state = --uses[nx.parent] == 0 ? std::move(parent.state) : parent.state->clone();
    }
    beams = std::move(grown);
    ++generated;
    if (done) break;

    std::vector<DecodeChunk> chunks;
    for (auto& beam : beams) chunks.push_back({beam.state.get(), std::span(&beam.seq.new_ids.back(), 1), {0}});
    logits = decoder.forward(chunks);
  }
  return finished.best(c.num_return_sequences);
}

std::vector<GeneratedSequence> generate_sequences(const CausalLM& model, std::span<const int32_t> prompt,
                                                  const GenerationConfig& config, const TokenObserver& observer) {
  check_config(config);
  if (config.num_beams > 1) {
    auto state = model.new_state();
    const std::vector<float> first = run_prompt(model, prompt, *state);
    const StepDecoder decoder{model.info().vocab_size,
                              [&model](std::span<DecodeChunk> chunks) { return model.forward(chunks); },
                              [&model](int64_t length) { return fits(model, length); }};
    return beam_search(decoder, std::move(state), first, prompt, config);
  }
  return decode_independent(model, prompt, config, observer);
}

}  // namespace tokprob
